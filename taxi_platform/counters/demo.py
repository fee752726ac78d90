"""Demo steps of the counters domain: one simulated business day, then every counters asset.

The collector is replayed at simulated times: the day's traffic is written hour by hour by
the simulator's own writers, and after each hour a real Dagster run of
`zone_hourly_activity_log` takes the snapshot with `clock_at` set to that hour (25 runs,
visible in the demo instance). The steps then take a live snapshot, compute the day's 24
hourly diffs in one single-run backfill, refresh the live view, and close the business day
(row + lossless reset). The simulated day is fixed (seed 0, 2025-08-25); the background
simulator that `demo` and `dev` start (`companion.py`) adds a little live traffic on top.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import dagster as dg

from taxi_platform.counters.items import ZONE_KEY, CounterTables
from taxi_platform.counters.simulator import (
    TrafficModel,
    add_count,
    apply_increments,
    load_zone_rows,
    put_assignments,
)
from taxi_platform.counters.stats import CUTOFF_HOUR
from taxi_platform.demo import QUIET, DemoStep
from taxi_platform.settings import timezone, zones_csv_default

DAY = date(2025, 8, 25)  # seed 000's example day
SEED = 0
HOUR = timedelta(hours=1)


def day_start() -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, CUTOFF_HOUR, tzinfo=ZoneInfo(timezone()))


def simulate_day() -> None:
    """Traffic of business day `DAY`, with the collector's snapshot after every hour."""
    from taxi_platform.counters.activity_log import zone_hourly_activity_log
    from taxi_platform.resources.wiring import build_resources

    model = TrafficModel(load_zone_rows(zones_csv_default()), SEED)
    client = boto3.client("dynamodb")
    tables = CounterTables()
    resources = build_resources()
    _counters_after_a_reset(client, tables, model.zones)
    dispatches = pickups = rows = 0
    with dg.DagsterInstance.get() as instance:
        for hour in range(25):
            at = day_start() + hour * HOUR
            if hour:
                batch = model.increments(at - HOUR, at)
                apply_increments(client, batch, tables)
                dispatches += sum(e["dispatch"] for e in batch)
                pickups += sum(e["pickup"] for e in batch)
            result = dg.materialize(
                [zone_hourly_activity_log],
                instance=instance,
                resources=resources,
                run_config={
                    **QUIET,
                    "ops": {"zone_hourly_activity_log": {"config": {"clock_at": at.isoformat()}}},
                },
            )
            [snapshot] = result.asset_materializations_for_node("zone_hourly_activity_log")
            rows += snapshot.metadata["dagster/row_count"].value
    put_assignments(client, model.assignments(day_start() + 24 * HOUR), tables.destination)
    print(
        f"    simulated {day_start():%Y-%m-%d %H:%M} + 24 h: {dispatches} dispatches, "
        f"{pickups} pickups in {len(model.zones)} zones; 25 hourly snapshots replayed "
        f"({rows} rows)",
        flush=True,
    )


def _counters_after_a_reset(client, tables: CounterTables, zones: list[str]) -> None:
    """Every zone's items at 0, as the daily reset leaves them (it subtracts, never deletes),
    so the first snapshot is a baseline for every zone."""
    for table in (tables.zone_dispatch, tables.pickup):
        for zone in zones:
            add_count(client, table, ZONE_KEY, zone, 0)
    apply_increments(client, [], tables)  # creates both totals at 0


def hours() -> tuple[str, str]:
    last = day_start() + 23 * HOUR
    return f"{day_start():%Y-%m-%d-%H:%M}", f"{last:%Y-%m-%d-%H:%M}"


STEPS = [
    DemoStep(
        "counters: a simulated business day (hourly snapshots replayed), then a live snapshot",
        ["zone_hourly_activity_log"],
        prepare=simulate_day,
    ),
    DemoStep(
        "counters: zone_diff_stats for the day's 24 hours (one single-run backfill)",
        ["zone_diff_stats"],
        partition_range=hours,
    ),
    DemoStep(
        "counters: live view for Grafana",
        ["live_zone_counters", "live_counter_totals", "live_taxi_destinations"],
    ),
    DemoStep(
        "counters: daily_zone_stats for the day, then the lossless reset",
        ["daily_zone_stats"],
        partitions=lambda: [DAY.isoformat()],
    ),
]
