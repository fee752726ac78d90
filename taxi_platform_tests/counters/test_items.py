from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer

from taxi_platform.defs.counters.items import (
    FLAG_TABLE,
    PICKUP_TABLE,
    CounterDataError,
    Problem,
    parse_flag_counts,
    parse_zone_counts,
)

VALID = frozenset({"Midtown Center", "Seaport", "JFK Airport", "Inwood", "Astoria"})


def client_style(item: dict) -> dict:
    """What boto3's client `scan` returns for an item written from these plain values."""
    return {k: TypeSerializer().serialize(v) for k, v in item.items()}


def test_client_and_resource_shapes_give_the_same_counts():
    plain = [
        {"zone_id": "Midtown Center", "count": Decimal(276)},
        {"zone_id": "Seaport", "count": Decimal(1)},
        {"zone_id": "Inwood", "count": Decimal(0)},
    ]
    expected = {"Midtown Center": 276, "Seaport": 1, "Inwood": 0}
    for items in (plain, [client_style(i) for i in plain]):
        parsed = parse_zone_counts(items, table=PICKUP_TABLE, valid_zones=VALID)
        assert parsed.values == expected
        assert parsed.problems == ()
    assert client_style(plain[0]) == {"zone_id": {"S": "Midtown Center"}, "count": {"N": "276"}}


def test_every_bad_item_is_reported_by_table_key_and_reason_and_none_becomes_zero():
    items = [
        {"zone_id": {"S": "Midtown Center"}, "count": {"N": "276"}},
        {"zone_id": {"S": "Seaport"}},  # missing count
        {"zone_id": {"S": "Inwood"}, "count": {"N": "lots"}},  # not a number
        {"zone_id": {"S": "Astoria"}, "count": {"S": "12"}},  # string attribute
        {"zone_id": "JFK Airport", "count": Decimal(-3)},  # negative
        {"zone_id": "Atlantis", "count": Decimal(5)},  # unknown zone
        {"count": {"N": "9"}},  # missing key
        {"zone_id": {"N": "7"}, "count": {"N": "9"}},  # key of the wrong type
        "not an item",
    ]
    parsed = parse_zone_counts(items, table=PICKUP_TABLE, valid_zones=VALID)
    assert parsed.values == {"Midtown Center": 276}
    reasons = {p.key: p.reason for p in parsed.problems}
    assert len(parsed.problems) == 8
    assert all(p.table == PICKUP_TABLE for p in parsed.problems)
    assert reasons["Seaport"] == "missing 'count'"
    assert "not a number" in reasons["Inwood"]
    assert "not a number" in reasons["Astoria"]
    assert "negative" in reasons["JFK Airport"]
    assert "unknown zone" in reasons["Atlantis"]
    unkeyed = [p.reason for p in parsed.problems if p.key is None]
    assert any("missing key attribute 'zone_id'" in r for r in unkeyed)
    assert any("not a non-empty string" in r for r in unkeyed)
    assert any("not a mapping" in r for r in unkeyed)


@pytest.mark.parametrize(
    ("count", "accepted"),
    [
        ({"N": "2.5"}, None),
        (Decimal("2.5"), None),
        (2.5, None),
        (True, None),
        ({"N": "1e3"}, 1000),
        (Decimal("276.0"), 276),
        (276, 276),
    ],
)
def test_only_non_negative_integers_are_counts(count, accepted):
    items = [{"zone_id": "Seaport", "count": count}, {"zone_id": "Inwood", "count": 4}]
    parsed = parse_zone_counts(items, table=PICKUP_TABLE)
    assert parsed.values.get("Seaport") == accepted
    assert len(parsed.problems) == (accepted is None)


def test_a_duplicate_zone_is_left_out_entirely():
    items = [
        {"zone_id": "Seaport", "count": 1},
        {"zone_id": "Seaport", "count": 2},
        {"zone_id": "Inwood", "count": 4},
    ]
    parsed = parse_zone_counts(items, table=PICKUP_TABLE)
    assert parsed.values == {"Inwood": 4}
    assert parsed.problems == (
        Problem(PICKUP_TABLE, "Seaport", "key occurs in 2 items; all left out"),
    )


def test_without_valid_zones_any_name_is_accepted():
    parsed = parse_zone_counts([{"zone_id": "Atlantis", "count": 5}], table=PICKUP_TABLE)
    assert parsed.values == {"Atlantis": 5}


def test_an_empty_zone_table_is_empty_but_an_all_bad_one_is_fatal():
    assert parse_zone_counts([], table=PICKUP_TABLE).values == {}
    flag_items = [{"counter_type": "dispatch", "count": 8145}]
    with pytest.raises(CounterDataError, match="none of its 1 items is usable"):
        parse_zone_counts(flag_items, table=PICKUP_TABLE)


def test_flags_seed_example():
    items = [
        {"counter_type": {"S": "dispatch"}, "count": {"N": "8145"}},
        {"counter_type": {"S": "pickup"}, "count": {"N": "2061"}},
        {"counter_type": {"S": "cancel"}, "count": {"N": "7"}},
    ]
    parsed = parse_flag_counts(items)
    assert parsed.values == {"dispatch": 8145, "pickup": 2061}
    assert [(p.table, p.key) for p in parsed.problems] == [(FLAG_TABLE, "cancel")]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"counter_type": "pickup", "count": 2061}], "no usable 'dispatch' total"),
        ([], "no usable 'dispatch' or 'pickup' total"),
        (
            [{"counter_type": "dispatch", "count": 1}, {"counter_type": "pickup"}],
            r"no usable 'pickup' total \(flag-dynamodb-s\[pickup\]: missing 'count'\)",
        ),
        (
            [
                {"counter_type": "dispatch", "count": 1},
                {"counter_type": "dispatch", "count": 2},
                {"counter_type": "pickup", "count": 1},
            ],
            "no usable 'dispatch' total .*occurs in 2 items",
        ),
    ],
)
def test_flags_without_a_usable_total_are_fatal(items, message):
    with pytest.raises(CounterDataError, match=message):
        parse_flag_counts(items)
