import argparse
import csv
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto.server import ThreadedMotoServer

from taxi_platform.defs.counters.items import (
    CounterTables,
    parse_flag_counts,
    parse_zone_counts,
)
from taxi_platform.defs.counters.stats import compare_totals
from taxi_platform.settings import zones_csv_default
from taxi_platform_dev.domains.counters.simulator import (
    TrafficModel,
    add_cli,
    apply_increments,
    load_zone_names,
    load_zone_rows,
    put_assignments,
    run_simulation,
)

ZONES_CSV = zones_csv_default()
START = datetime(2025, 8, 25, 3, tzinfo=ZoneInfo("Asia/Seoul"))
AIRPORTS = {"JFK Airport", "LaGuardia Airport", "Newark Airport"}


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with open(ZONES_CSV, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def model() -> TrafficModel:
    return TrafficModel(load_zone_rows(ZONES_CSV), seed=7)


@pytest.fixture(scope="module")
def day(model) -> list[dict]:
    return model.increments(START, START + timedelta(days=1))


def totals(batch: list[dict]) -> tuple[int, int]:
    return sum(e["dispatch"] for e in batch), sum(e["pickup"] for e in batch)


def test_zone_table_without_unknown_and_outside(csv_rows):
    rows = load_zone_rows(ZONES_CSV)
    assert len(rows) == len(csv_rows) - 2 == 263
    assert {r.location_id for r in rows}.isdisjoint({264, 265})
    names = load_zone_names(ZONES_CSV)
    assert len(names) == 260  # Corona ×2 and Governor's Island ×3 share their names
    assert names >= AIRPORTS
    assert "Outside of NYC" not in names and "N/A" not in names


def test_same_seed_same_traffic_whatever_the_batch_size(model):
    hour = model.increments(START, START + timedelta(hours=1))
    again = TrafficModel(load_zone_rows(ZONES_CSV), seed=7).increments(
        START, START + timedelta(hours=1)
    )
    assert hour == again
    by_minute: dict[str, list[int]] = {}
    for m in range(60):
        minute = START + timedelta(minutes=m)
        for e in model.increments(minute, minute + timedelta(minutes=1)):
            counts = by_minute.setdefault(e["zone"], [0, 0])
            counts[0] += e["dispatch"]
            counts[1] += e["pickup"]
    assert {e["zone"]: [e["dispatch"], e["pickup"]] for e in hour} == by_minute
    other = TrafficModel(load_zone_rows(ZONES_CSV), seed=8)
    assert other.increments(START, START + timedelta(hours=1)) != hour


def test_a_simulated_day_looks_like_seed_000(day):
    dispatches, pickups = totals(day)
    # The default rate is the old stats script's day as the mean of a week whose weekend days
    # carry 0.85 of a weekday (DISPATCH_RHYTHM): a weekday (START) is 7 / 6.7 of it.
    expected = 8145 * 7 / (5 + 2 * 0.85)  # Poisson sd ≈ 92
    assert abs(dispatches - expected) < 5 * expected**0.5
    assert 0.20 <= pickups / dispatches <= 0.30
    assert all(0 <= e["pickup"] <= e["dispatch"] for e in day)
    assert [e["zone"] for e in day] == sorted(e["zone"] for e in day)


def test_manhattan_and_airports_carry_the_traffic(day, csv_rows):
    borough = {r["Zone"]: r["Borough"] for r in csv_rows}
    dispatches, _ = totals(day)
    busy = sum(
        e["dispatch"] for e in day if borough[e["zone"]] == "Manhattan" or e["zone"] in AIRPORTS
    )
    assert busy / dispatches > 0.75
    per_zone = {e["zone"]: e["dispatch"] for e in day}
    outer = [z for z, b in borough.items() if b in {"Bronx", "Brooklyn", "Queens", "Staten Island"}]
    near_zero = [z for z in set(outer) - AIRPORTS if per_zone.get(z, 0) <= 5]
    assert len(near_zero) >= 50  # of about 190 outer-borough zones
    assert all(per_zone.get(z, 0) > 30 for z in AIRPORTS)


def test_fleet_has_unassigned_taxis_without_a_destination(model):
    fleet = model.assignments(START, taxis=200, unassigned_share=0.1)
    assert fleet == model.assignments(START, taxis=200, unassigned_share=0.1)
    assert len({t["taxi_id"] for t in fleet}) == 200
    idle = [t for t in fleet if t["status"] == "unassigned"]
    assert 5 <= len(idle) <= 40
    assert all("destination_zone" not in t for t in idle)
    busy = [t for t in fleet if t["status"] == "assigned"]
    assert {t["destination_zone"] for t in busy} <= set(model.zones)
    assert {t["updated_at"] for t in fleet} == {"2025-08-24T18:00:00+00:00"}


def test_minutes_must_be_whole(model):
    with pytest.raises(ValueError, match="whole minute"):
        model.increments(START + timedelta(seconds=30), START + timedelta(minutes=2))


class RecordingClient:
    """Stands in for a boto3 DynamoDB client; keeps the requests."""

    def __init__(self):
        self.updates: list[dict] = []
        self.puts: list[dict] = []

    def update_item(self, **request):
        self.updates.append(request)

    def put_item(self, **request):
        self.puts.append(request)


def test_apply_increments_adds_per_zone_then_exact_totals():
    client = RecordingClient()
    batch = [
        {"zone": "Midtown Center", "dispatch": 4, "pickup": 1},
        {"zone": "Seaport", "dispatch": 2, "pickup": 0},
    ]
    assert apply_increments(client, batch) == 5
    assert client.updates[0] == {
        "TableName": "zone-count-dynamodb",
        "Key": {"zone_id": {"S": "Midtown Center"}},
        "UpdateExpression": "ADD #c :n",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {":n": {"N": "4"}},
    }
    added = [
        (u["TableName"], next(iter(u["Key"].values()))["S"], u["ExpressionAttributeValues"][":n"])
        for u in client.updates
    ]
    assert added == [
        ("zone-count-dynamodb", "Midtown Center", {"N": "4"}),
        ("pickup-zone-dynamodb-s", "Midtown Center", {"N": "1"}),
        ("zone-count-dynamodb", "Seaport", {"N": "2"}),
        ("flag-dynamodb-s", "dispatch", {"N": "6"}),
        ("flag-dynamodb-s", "pickup", {"N": "1"}),
    ]


def test_apply_increments_writes_every_zone_once_zeros_included():
    """The demo's first day: every zone's two items in the batch's own writes, 0 without
    traffic (as the daily reset leaves them), never a second write of one item."""
    client = RecordingClient()
    batch = [{"zone": "Seaport", "dispatch": 3, "pickup": 2}]
    assert apply_increments(client, batch, every_zone=["Seaport", "Astoria", "Midtown"]) == 8
    added = sorted(
        (
            u["TableName"],
            next(iter(u["Key"].values()))["S"],
            u["ExpressionAttributeValues"][":n"]["N"],
        )
        for u in client.updates
    )
    assert added == [
        ("flag-dynamodb-s", "dispatch", "3"),
        ("flag-dynamodb-s", "pickup", "2"),
        ("pickup-zone-dynamodb-s", "Astoria", "0"),
        ("pickup-zone-dynamodb-s", "Midtown", "0"),
        ("pickup-zone-dynamodb-s", "Seaport", "2"),
        ("zone-count-dynamodb", "Astoria", "0"),
        ("zone-count-dynamodb", "Midtown", "0"),
        ("zone-count-dynamodb", "Seaport", "3"),
    ]


def test_run_simulation_paces_by_speed_and_writes_the_fleet_every_five_minutes(model):
    client, sleeps, lines = RecordingClient(), [], []
    now = [0.0]
    run_simulation(
        model,
        client,
        CounterTables(),
        start=START,
        minutes=6,
        speed=60.0,
        taxis=3,
        out=lines.append,
        sleep=lambda s: (sleeps.append(s), now.__setitem__(0, now[0] + s)),
        clock=lambda: now[0],
    )
    assert sleeps == [1.0] * 5  # one simulated minute per real second, no sleep after the last
    assert len(lines) == 6 and lines[0].startswith("2025-08-25T03:00:00+09:00")
    assert len(client.puts) == 6  # 3 taxis at minute 0 and minute 5


def test_cli_arguments():
    parser = argparse.ArgumentParser(prog="taxi-platform simulate")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["counters", "--seed", "3", "--once", "--speed", "10"])
    assert (args.seed, args.once, args.speed, args.minutes) == (3, True, 10.0, None)
    assert callable(args.func)
    args = parser.parse_args(["counters", "--duration", "90", "--start", "2025-08-25T03:00+09:00"])
    assert (args.minutes, args.start) == (90, START)
    with pytest.raises(SystemExit):
        parser.parse_args(["counters", "--once", "--minutes", "5"])


def create_tables(client, tables: CounterTables) -> None:
    for table, key in (
        (tables.pickup, "zone_id"),
        (tables.zone_dispatch, "zone_id"),
        (tables.flag, "counter_type"),
        (tables.destination, "taxi_id"),
    ):
        client.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


@pytest.fixture(scope="module")
def dynamodb():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"http://{host}:{port}",
        region_name="ap-northeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    create_tables(client, CounterTables())
    yield client
    server.stop()


def test_against_dynamodb_totals_equal_the_sum_of_zones(dynamodb, model):
    tables = CounterTables()
    minutes = 10
    start = datetime(2025, 8, 25, 22, tzinfo=UTC)  # 18:00 in New York: the busy hour
    for m in range(minutes):
        minute = start + timedelta(minutes=m)
        apply_increments(dynamodb, model.increments(minute, minute + timedelta(minutes=1)))
    put_assignments(dynamodb, model.assignments(start, taxis=20, unassigned_share=0.2))

    names = load_zone_names(ZONES_CSV)
    scan = {t: dynamodb.scan(TableName=t)["Items"] for t in (tables.zone_dispatch, tables.pickup)}
    dispatch = parse_zone_counts(
        scan[tables.zone_dispatch], table=tables.zone_dispatch, valid_zones=names
    )
    pickup = parse_zone_counts(scan[tables.pickup], table=tables.pickup, valid_zones=names)
    flags = parse_flag_counts(dynamodb.scan(TableName=tables.flag)["Items"])
    assert dispatch.problems == pickup.problems == flags.problems == ()

    expected = model.increments(start, start + timedelta(minutes=minutes))
    assert flags.values == dict(zip(("dispatch", "pickup"), totals(expected), strict=True))
    assert compare_totals(dispatch.values, flags.values["dispatch"]).difference == 0
    assert compare_totals(pickup.values, flags.values["pickup"]).difference == 0
    assert dispatch.values == {e["zone"]: e["dispatch"] for e in expected}
    assert pickup.values == {e["zone"]: e["pickup"] for e in expected if e["pickup"]}

    fleet = dynamodb.scan(TableName=tables.destination)["Items"]
    assert len(fleet) == 20
    assert any("destination_zone" not in t for t in fleet)


def test_cli_once_writes_one_minute_to_the_tables_named_by_the_environment(
    dynamodb, model, monkeypatch, capsys
):
    tables = CounterTables("pickup-cli", "zone-count-cli", "flag-cli", "destination-cli")
    create_tables(dynamodb, tables)
    for name, value in {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.meta.endpoint_url,
        "AWS_REGION": "ap-northeast-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TAXI_PICKUP_TABLE": tables.pickup,
        "TAXI_ZONE_DISPATCH_TABLE": tables.zone_dispatch,
        "TAXI_FLAG_TABLE": tables.flag,
        "TAXI_DESTINATION_TABLE": tables.destination,
    }.items():
        monkeypatch.setenv(name, value)
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers())
    start = "2025-08-25T22:00:00+00:00"
    args = parser.parse_args(
        [
            "counters",
            "--once",
            "--seed",
            "7",
            "--taxis",
            "5",
            "--start",
            start,
            "--zones",
            ZONES_CSV,
        ]
    )
    assert args.func(args) == 0

    minute = datetime.fromisoformat(start)
    expected = totals(model.increments(minute, minute + timedelta(minutes=1)))
    flags = parse_flag_counts(dynamodb.scan(TableName=tables.flag)["Items"])
    assert (flags.values["dispatch"], flags.values["pickup"]) == expected
    dispatch_items = dynamodb.scan(TableName=tables.zone_dispatch)["Items"]
    dispatch = parse_zone_counts(dispatch_items, table=tables.zone_dispatch)
    assert sum(dispatch.values.values()) == expected[0]
    assert len(dynamodb.scan(TableName=tables.destination)["Items"]) == 5
    assert f"{start}  +{expected[0]} dispatches +{expected[1]} pickups" in capsys.readouterr().out
