"""`daily_zone_stats` and the lossless reset against the real moto DynamoDB and PostgreSQL."""

import random
import threading
import time
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import dagster as dg
import pytest

from taxi_platform.defs.counters.daily_stats import (
    DAILY_CHECKS,
    daily_zone_stats,
    ledger_check,
    rate_check,
)
from taxi_platform.defs.counters.items import DEFAULT_TABLES
from taxi_platform.defs.counters.ledger import load_reset
from taxi_platform.defs.counters.reset import REBUILT, RESUMED
from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform_tests.counters.helpers import (
    add,
    busy_day_row,
    clear_table,
    counts,
    materialize,
    put_items,
    scan_items,
    seed_counters,
)
from taxi_platform_tests.support import checks, failure_message, metadata

pytestmark = pytest.mark.usefixtures("clean")

DAY = date(2025, 8, 25)
ASSETS = [daily_zone_stats, *DAILY_CHECKS]
ZONE_TABLES = (DEFAULT_TABLES.zone_dispatch, DEFAULT_TABLES.pickup)
ALL_TABLES = (*ZONE_TABLES, DEFAULT_TABLES.flag)
# A busy day: 2061 pickups of 8145 dispatches, Midtown Center busiest, Seaport quietest.
SEED_PICKUPS = {
    "Midtown Center": 276,
    "JFK Airport": 270,
    "LaGuardia Airport": 260,
    "Upper East Side South": 250,
    "Times Sq/Theatre District": 240,
    "Penn Station/Madison Sq West": 230,
    "Union Sq": 200,
    "East Village": 180,
    "Clinton East": 154,
    "Seaport": 1,
}
SEED_DISPATCHES = {zone: 4 * n for zone, n in SEED_PICKUPS.items()} | {"Midtown Center": 1005}


def run_day(resources, day: date = DAY, **kwargs) -> dg.ExecuteInProcessResult:
    return materialize(ASSETS, resources, partition_key=day.isoformat(), **kwargs)


def stored_rows(db) -> list[dict]:
    return db.fetch_all("SELECT * FROM daily_zone_stats ORDER BY stat_date")


def test_seeded_counters_give_the_seed_row_and_are_reset_to_zero(resources, daily_stats_db):
    seed_counters(SEED_DISPATCHES, SEED_PICKUPS)
    assert (sum(SEED_DISPATCHES.values()), sum(SEED_PICKUPS.values())) == (8145, 2061)

    result = run_day(resources)

    # By hand: the seeded day's rate is 2061 / 8145 rounded half up.
    rate = (Decimal(2061) / Decimal(8145)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    assert busy_day_row(DAY)["dispatch_success_rate"] == rate
    assert stored_rows(daily_stats_db) == [busy_day_row(DAY)]
    for table in ALL_TABLES:
        assert set(counts(table).values()) == {0}, table
    reset = load_reset(daily_stats_db, DAY)
    assert reset.status == "applied" and reset.read_at <= reset.reset_at
    assert reset.pickups_by_zone() == SEED_PICKUPS
    assert reset.dispatches_by_zone() == SEED_DISPATCHES
    assert all(c.passed for c in checks(result).values()), checks(result)
    meta = metadata(result, daily_zone_stats)
    assert meta["item_updates_applied"] == 2 * len(SEED_PICKUPS) + 2
    assert meta["problems"] == 0


def test_increments_written_during_the_run_all_survive(resources, daily_stats_db):
    zones = list(SEED_PICKUPS)
    seed_counters(SEED_DISPATCHES, SEED_PICKUPS)
    before = {table: counts(table) for table in ALL_TABLES}
    during: dict[tuple[str, str], int] = {}
    stamps: list[datetime] = []
    stop = threading.Event()

    def dispatch_server() -> None:
        rng = random.Random(3)
        while not stop.is_set():
            zone = rng.choice(zones)
            for table, key in (
                (DEFAULT_TABLES.zone_dispatch, zone),
                (DEFAULT_TABLES.flag, "dispatch"),
                (DEFAULT_TABLES.pickup, zone),
                (DEFAULT_TABLES.flag, "pickup"),
            ):
                add(table, key, 1)
                during[table, key] = during.get((table, key), 0) + 1
                stamps.append(datetime.now(UTC))

    writer = threading.Thread(target=dispatch_server)
    writer.start()
    try:
        time.sleep(0.3)
        run_day(resources)
        time.sleep(0.3)
    finally:
        stop.set()
        writer.join()

    reset = load_reset(daily_stats_db, DAY)
    subtracted = {
        DEFAULT_TABLES.zone_dispatch: reset.dispatches_by_zone(),
        DEFAULT_TABLES.pickup: reset.pickups_by_zone(),
        DEFAULT_TABLES.flag: {"dispatch": reset.total_dispatch, "pickup": reset.total_pickup},
    }
    for table in ALL_TABLES:
        after = counts(table)
        for key, value in after.items():
            expected = before[table][key] + during.get((table, key), 0) - subtracted[table][key]
            assert value == expected, (table, key)
    # The run really raced the writer: increments landed between the read and the reset.
    assert any(reset.read_at < t < reset.reset_at for t in stamps)


def test_rerun_rebuilds_the_same_row_from_the_ledger_and_never_resets_twice(
    resources, daily_stats_db
):
    seed_counters(SEED_DISPATCHES, SEED_PICKUPS)
    run_day(resources)
    first = stored_rows(daily_stats_db)
    add(DEFAULT_TABLES.pickup, "Seaport", 7)  # the next day's traffic
    add(DEFAULT_TABLES.flag, "pickup", 7)

    again = run_day(resources)

    assert stored_rows(daily_stats_db) == first
    assert counts(DEFAULT_TABLES.pickup)["Seaport"] == 7
    assert counts(DEFAULT_TABLES.flag)["pickup"] == 7
    assert metadata(again, daily_zone_stats)["action"] == REBUILT
    assert all(c.passed for c in checks(again).values())


def test_a_crashed_reset_is_resumed_and_every_item_is_reset_exactly_once(
    resources, daily_stats_db, monkeypatch
):
    from taxi_platform.defs.counters.activity_log import zone_hourly_activity_log

    seed_counters(SEED_DISPATCHES, SEED_PICKUPS)
    original = DynamoDBResource.add_once
    lock, calls = threading.Lock(), {"n": 0}

    def dies_after_five(self, *args, **kwargs):
        with lock:
            if calls["n"] == 5:
                raise RuntimeError("the run's process was killed")
            calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBResource, "add_once", dies_after_five)
    crashed = run_day(resources, raise_on_error=False)
    monkeypatch.setattr(DynamoDBResource, "add_once", original)
    assert not crashed.success
    failed = 2 * len(SEED_PICKUPS) + 2 - 5  # every update after the fifth, all attempted
    assert f"{failed} of {2 * len(SEED_PICKUPS) + 2} counter updates failed" in failure_message(
        crashed
    )
    assert f"re-run daily_zone_stats for {DAY}" in failure_message(crashed)
    assert load_reset(daily_stats_db, DAY).status == "pending"
    assert stored_rows(daily_stats_db) == []
    add(DEFAULT_TABLES.pickup, "Seaport", 3)  # traffic goes on meanwhile
    add(DEFAULT_TABLES.flag, "pickup", 3)

    refused = materialize([zone_hourly_activity_log], resources, raise_on_error=False)
    assert not refused.success
    assert f"reset of business day {DAY} is pending" in failure_message(refused)

    resumed = run_day(resources)
    meta = metadata(resumed, daily_zone_stats)
    assert meta["action"] == RESUMED
    assert meta["item_updates_found_applied"] == 5
    assert meta["item_updates_applied"] == 2 * len(SEED_PICKUPS) + 2 - 5
    assert counts(DEFAULT_TABLES.pickup) == {zone: 0 for zone in SEED_PICKUPS} | {"Seaport": 3}
    assert set(counts(DEFAULT_TABLES.zone_dispatch).values()) == {0}
    assert counts(DEFAULT_TABLES.flag) == {"dispatch": 0, "pickup": 3}
    assert stored_rows(daily_stats_db)[0]["total_pickup"] == 2061
    assert materialize([zone_hourly_activity_log], resources).success


def test_backfill_of_a_day_the_counters_no_longer_hold_fails_naming_it(resources, daily_stats_db):
    later = date(2025, 8, 26)
    seed_counters({"Seaport": 4}, {"Seaport": 1})
    first = run_day(resources, later)
    assert metadata(first, daily_zone_stats)["counted_since"].startswith("first reset")

    refused = run_day(resources, DAY, raise_on_error=False)

    assert not refused.success
    message = failure_message(refused)
    assert f"no reset ledger for {DAY}" in message and f"business day {later}" in message
    assert [r["stat_date"] for r in stored_rows(daily_stats_db)] == [later]


def test_a_missed_day_is_counted_since_the_previous_reset(resources, daily_stats_db):
    seed_counters({"Seaport": 4}, {"Seaport": 1})
    run_day(resources, date(2025, 8, 23))
    previous = load_reset(daily_stats_db, date(2025, 8, 23))
    add(DEFAULT_TABLES.pickup, "Seaport", 2)
    add(DEFAULT_TABLES.flag, "pickup", 2)

    result = run_day(resources)  # 2025-08-24 was never closed

    assert load_reset(daily_stats_db, DAY).counted_since == previous.reset_at
    assert metadata(result, daily_zone_stats)["counted_since"] == previous.reset_at.timestamp()
    assert stored_rows(daily_stats_db)[-1]["total_pickup"] == 2


def test_bad_items_are_reported_left_in_dynamodb_and_fail_their_check(resources, daily_stats_db):
    seed_counters(
        {"Seaport": 10, "Union Sq": 20, "East Village": 8}, {"Seaport": 2, "Union Sq": 5}, (38, 7)
    )
    put_items(
        DEFAULT_TABLES.pickup,
        [
            {"zone_id": {"S": "Midtown Centre"}, "count": {"N": "9"}},  # not a TLC zone name
            {"zone_id": {"S": "East Village"}, "count": {"S": "twelve"}},
            {"zone_id": {"S": "Inwood"}},
        ],
    )

    result = run_day(resources)

    evaluations = checks(result)
    assert not evaluations["counter_items_valid"].passed
    assert evaluations["totals_match_zones"].passed
    problems = metadata(result, daily_zone_stats)["problem_list"]
    assert any("Midtown Centre" in p and "unknown zone" in p for p in problems)
    assert any("East Village" in p and "not a number" in p for p in problems)
    assert any("Inwood" in p and "missing 'count'" in p for p in problems)
    items = {i["zone_id"]["S"]: i for i in scan_items(DEFAULT_TABLES.pickup)}
    assert items["Midtown Centre"]["count"] == {"N": "9"}  # not reset: nothing was read
    assert items["East Village"]["count"] == {"S": "twelve"}
    # Its readable dispatch count was read and reset; the unreadable pickup item was not.
    assert load_reset(daily_stats_db, DAY).subtracted["East Village"] == (8, 0)
    assert counts(DEFAULT_TABLES.zone_dispatch)["East Village"] == 0
    assert stored_rows(daily_stats_db)[0]["total_pickup"] == 7


@pytest.mark.parametrize(
    "totals,severity",
    [((31, 7), dg.AssetCheckSeverity.WARN), ((3000, 7), dg.AssetCheckSeverity.ERROR)],
)
def test_totals_that_differ_from_the_zones_fail_the_check(resources, totals, severity):
    seed_counters({"Seaport": 10, "Union Sq": 20}, {"Seaport": 2, "Union Sq": 5}, totals)

    evaluation = checks(run_day(resources))["totals_match_zones"]

    assert not evaluation.passed and evaluation.severity == severity
    assert evaluation.metadata["dispatch_difference"].value == totals[0] - 30


def test_zone_tables_empty_but_totals_not_is_reported_never_zero(resources, daily_stats_db):
    seed_counters({}, {}, (40, 9))

    result = run_day(resources)

    row = stored_rows(daily_stats_db)[0]
    assert row["most_pickup_zone"] is None and row["total_pickup"] == 9
    evaluations = checks(result)
    assert not evaluations["totals_match_zones"].passed
    assert evaluations["totals_match_zones"].severity == dg.AssetCheckSeverity.ERROR
    assert not evaluations["counter_items_valid"].passed
    assert any("table is empty" in p for p in metadata(result, daily_zone_stats)["problem_list"])


def test_missing_totals_fail_before_anything_is_written(resources, daily_stats_db):
    seed_counters({"Seaport": 10}, {"Seaport": 2})
    clear_table(DEFAULT_TABLES.flag)
    result = run_day(resources, raise_on_error=False)

    assert not result.success
    assert "no usable 'dispatch' or 'pickup' total" in failure_message(result)
    assert load_reset(daily_stats_db, DAY) is None
    assert counts(DEFAULT_TABLES.zone_dispatch) == {"Seaport": 10}


def test_a_missing_table_is_a_configuration_error(resources):
    broken = {**resources, "dynamodb": DynamoDBResource(pickup_table="no-such-table")}

    result = run_day(broken, raise_on_error=False)

    assert not result.success
    assert "DynamoDB table 'no-such-table' does not exist" in failure_message(result)


def test_check_functions_catch_a_row_that_differs_from_the_ledger(resources, daily_stats_db):
    seed_counters(SEED_DISPATCHES, SEED_PICKUPS)
    run_day(resources)
    assert ledger_check(daily_stats_db, DAY).passed and rate_check(daily_stats_db, DAY).passed
    daily_stats_db.execute(
        "UPDATE daily_zone_stats SET most_pickup_count = 999, dispatch_success_rate = 1.5"
    )

    assert ledger_check(daily_stats_db, DAY).metadata["differing_columns"].value == [
        "dispatch_success_rate",
        "most_pickup_count",
    ]
    assert not rate_check(daily_stats_db, DAY).passed
