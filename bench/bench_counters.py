"""Benchmark: one `daily_zone_stats` partition, and the snapshot insert (COPY) against the
seed's way (row-by-row INSERT).

Run by hand (not a test): `uv run python bench/bench_counters.py [--repeat 5]`.
Starts its own embedded stack in a temporary folder and prints a Markdown table of medians;
copy it into bench/RESULTS.md with the machine. Speed-up = baseline time / our time, or our
rows/s / baseline rows/s (above 1: ours is faster).

- daily partition: a Dagster run (in process) of `daily_zone_stats` for a fresh business day
  over counters of all 260 distinct TLC zone names (265 LocationIDs), i.e. read, pending
  ledger, 522 conditional `ADD count -n` updates, row + ledger commit. Beside it, the old stats
  script's
  script: scan, INSERT the row, then `SET count = 0` item by item (lossy, no ledger).
- snapshot insert: `write_snapshot` (delete + COPY in one transaction) against one INSERT per
  row in one transaction, for one 5-minute snapshot (260 rows) and for a day of them
  (288 snapshots, 74,880 rows, as a back-fill would load).
"""

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from bench_common import bench_stack

SEOUL = ZoneInfo("Asia/Seoul")
FIVE_MINUTES = timedelta(minutes=5)


def seed_day(model, day: date) -> None:
    """A simulated business day of counters, written item by item as final values."""
    from taxi_platform_tests.counters.helpers import seed_counters

    start = datetime(day.year, day.month, day.day, 3, tzinfo=SEOUL)
    day_traffic = model.increments(start, start + timedelta(days=1))
    seed_counters(
        {e["zone"]: e["dispatch"] for e in day_traffic},
        {e["zone"]: e["pickup"] for e in day_traffic if e["pickup"]},
    )


def daily_partition(resources, model, repeat: int) -> list[float]:
    from taxi_platform.defs.counters.daily_stats import daily_zone_stats

    times = []
    for i in range(repeat):
        day = date(2025, 9, 1) + timedelta(days=i)
        seed_day(model, day)
        started = time.perf_counter()
        dg.materialize(
            [daily_zone_stats],
            resources=resources,
            partition_key=day.isoformat(),
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
        times.append(time.perf_counter() - started)
    return times


def seed_way_daily(db, model, repeat: int) -> list[float]:
    """The old stats script's `sync_and_reset_daily_stats.py`: scan, insert, then reset to zero."""
    import boto3

    from taxi_platform.defs.counters.items import parse_flag_counts, parse_zone_counts
    from taxi_platform.defs.counters.stats import daily_zone_stats_row

    client = boto3.client("dynamodb")
    times = []
    for i in range(repeat):
        day = date(2025, 10, 1) + timedelta(days=i)
        seed_day(model, day)
        started = time.perf_counter()
        scans = {
            t: client.scan(TableName=t, ConsistentRead=True)["Items"]
            for t in ("pickup-zone-dynamodb-s", "zone-count-dynamodb", "flag-dynamodb-s")
        }
        pickups = parse_zone_counts(scans["pickup-zone-dynamodb-s"], table="pickup").values
        flags = parse_flag_counts(scans["flag-dynamodb-s"]).values
        row = daily_zone_stats_row(day, pickups, flags["dispatch"], flags["pickup"])
        with db.transaction() as conn:
            conn.execute(
                f"INSERT INTO daily_zone_stats ({', '.join(row)}) "
                f"VALUES ({', '.join(['%s'] * len(row))})",
                list(row.values()),
            )
        for table, key in (
            ("pickup-zone-dynamodb-s", "zone_id"),
            ("zone-count-dynamodb", "zone_id"),
            ("flag-dynamodb-s", "counter_type"),
        ):
            for item in scans[table]:
                client.update_item(
                    TableName=table,
                    Key={key: item[key]},
                    UpdateExpression="SET #c = :zero",
                    ExpressionAttributeNames={"#c": "count"},
                    ExpressionAttributeValues={":zero": {"N": "0"}},
                )
        times.append(time.perf_counter() - started)
    return times


def snapshot_rows(model, captures: int, first: datetime) -> list[tuple]:
    zones = model.zones
    return [
        (first + n * FIVE_MINUTES, zone, 10 * n + i, n + i)
        for n in range(captures)
        for i, zone in enumerate(zones)
    ]


def copy_insert(db, rows: list[tuple]) -> float:
    from taxi_platform.defs.counters.snapshots import write_snapshot

    by_capture: dict[datetime, list[tuple]] = {}
    for at, zone, d, p in rows:
        by_capture.setdefault(at, []).append((zone, d, p))
    started = time.perf_counter()
    if len(by_capture) == 1:
        [(at, snapshot)] = by_capture.items()
        write_snapshot(db, at, snapshot)
    else:  # a back-fill's load: one transaction, one COPY
        with db.transaction() as conn:
            db.copy_rows(
                conn,
                "zone_hourly_activity_log",
                ["captured_at", "zone_id", "dispatch_count", "pickup_count"],
                rows,
            )
    return time.perf_counter() - started


def row_by_row_insert(db, rows: list[tuple]) -> float:
    started = time.perf_counter()
    with db.transaction() as conn:
        for row in rows:
            conn.execute(
                "INSERT INTO zone_hourly_activity_log "
                "(captured_at, zone_id, dispatch_count, pickup_count) VALUES (%s, %s, %s, %s)",
                row,
            )
    return time.perf_counter() - started


def insert_rates(db, model, captures: int, repeat: int, offset_days: int) -> tuple[list, list]:
    copy_rates, insert_rates_ = [], []
    for i in range(repeat):
        base = datetime(2026, 1, 1, tzinfo=SEOUL) + timedelta(days=offset_days + 2 * i)
        rows = snapshot_rows(model, captures, base)
        copy_rates.append(len(rows) / copy_insert(db, rows))
        rows = snapshot_rows(model, captures, base + timedelta(days=1))
        insert_rates_.append(len(rows) / row_by_row_insert(db, rows))
    return copy_rates, insert_rates_


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_stack(Path(tmp)):
        from taxi_platform.resources.wiring import build_resources
        from taxi_platform.settings import zones_csv_default
        from taxi_platform_dev.domains.counters.simulator import TrafficModel, load_zone_rows

        resources = build_resources("local")
        db = resources["daily_stats_db"].process_config_and_initialize()
        model = TrafficModel(load_zone_rows(zones_csv_default()), seed=0)
        daily = daily_partition(resources, model, args.repeat)
        seed = seed_way_daily(db, model, args.repeat)
        one_copy, one_insert = insert_rates(db, model, 1, 4 * args.repeat, 0)
        day_copy, day_insert = insert_rates(db, model, 288, max(3, args.repeat // 2), 100)
    median = statistics.median
    print("| measure | median | min | max | baseline (seed's way), median | speed-up |")
    print("|---|---|---|---|---|---|")
    print(
        f"| daily_zone_stats partition, {len(model.zones)} zones (s) | {median(daily):.2f} | "
        f"{min(daily):.2f} | {max(daily):.2f} | {median(seed):.2f} (lossy SET 0, no ledger) | "
        f"{median(seed) / median(daily):.2f}× |"
    )
    for label, copy_rates, baseline in (
        (f"snapshot insert, 1 snapshot = {len(model.zones)} rows (rows/s)", one_copy, one_insert),
        (f"snapshot insert, a day = {288 * len(model.zones)} rows (rows/s)", day_copy, day_insert),
    ):
        print(
            f"| {label} | {median(copy_rates):,.0f} | {min(copy_rates):,.0f} | "
            f"{max(copy_rates):,.0f} | {median(baseline):,.0f} (row-by-row INSERT) | "
            f"{median(copy_rates) / median(baseline):.1f}× |"
        )


if __name__ == "__main__":
    main()
