"""The counters domain in the demo: simulated business days, then every counters asset.

The collectors are replayed at simulated times: the traffic is written by the simulator's
own writers (the dispatch rhythm on the business time zone's clock); for the last two days
(the "yesterday vs the day before" panels) hour by hour: a snapshot after each hour, as the
5-minute collector would have taken it (49 snapshots written into the asset's table with
`write_snapshots`, one load per day, as history before the demo's runs, not as 49 Dagster
runs: each is the asset's scan `read_zone_counters` at the day's start plus the simulator's
increments up to that hour, what the scan reads when nothing else writes, and the day's
traffic then goes to DynamoDB in one batch, not in 24 hourly ones); the days before (the
weekly views) in one batch each, the last of them snapshotted (scanned) at its end as the
baseline. Each day but the last is closed at 03:00 the next morning by a real
`daily_zone_stats` run at that simulated instant (row + lossless reset), before the next
day's traffic, as the 03:00 schedule would: those runs materialize the closed days'
partitions. The demo's walk then takes a live snapshot (a real `zone_hourly_activity_log`
run), computes every snapshotted hour's diff in one single-run backfill, refreshes the live
view (the last day's counters are "today" in Grafana), and closes the last day. The days are
the latest business days that have closed (the last partitions of `daily_zone_stats`), so
the UI shows recent partitions filled; traffic is random seed 0. A batch's updates go to
DynamoDB `simulator.WRITERS` at a time, as the server's concurrent requests write them, and
the closes' resets are concurrent too: moto's time per request, not round trips, bounds the
lane. The background simulator that `demo` and `dev` start (`companion.py`) adds live
traffic on top.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import dagster as dg

from taxi_platform.defs.counters.items import ZONE_KEY, CounterTables
from taxi_platform.defs.counters.partitions import BUSINESS_DAYS
from taxi_platform.defs.counters.stats import CUTOFF_HOUR
from taxi_platform.settings import timezone, zones_csv_default
from taxi_platform_dev.domains import DemoPlan, demo_instance, run_job
from taxi_platform_dev.domains.counters.simulator import (
    TrafficModel,
    add_count,
    apply_increments,
    in_parallel,
    load_zone_rows,
    put_assignments,
)
from taxi_platform_dev.domains.rhythm import DISPATCH_RHYTHM

SEED = 0
HOUR = timedelta(hours=1)
CLOSE_AFTER = timedelta(seconds=30)  # the 03:00 run closes the day just after the snapshot
# Hour by hour (a snapshot run each) only for the days the hourly panels compare, "yesterday"
# and "the day before"; the days before are written in one batch and closed at 03:00.
HOURLY_DAYS = 2


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, CUTOFF_HOUR, tzinfo=ZoneInfo(timezone()))


def simulated_days(days: int) -> list[date]:
    """The last `days` business days that have closed, oldest first."""
    last = date.fromisoformat(BUSINESS_DAYS.get_last_partition_key())
    return [last - timedelta(days=days - 1 - i) for i in range(days)]


def simulate_days(days: int) -> None:
    """Traffic of the `days` simulated business days, a snapshot after every hour, each day
    but the last closed at 03:00 the next morning."""
    from taxi_platform.defs.counters import schedules
    from taxi_platform.defs.counters.daily_stats import daily_zone_stats
    from taxi_platform.defs.counters.reading import (
        ZoneCounters,
        read_zone_counters,
        valid_zone_names,
    )
    from taxi_platform.defs.counters.snapshots import write_snapshots
    from taxi_platform.resources.wiring import build_resources

    rhythm = DISPATCH_RHYTHM.in_zone(timezone())
    model = TrafficModel(load_zone_rows(zones_csv_default()), SEED, rhythm=rhythm)
    client = boto3.client("dynamodb")
    tables = CounterTables()
    resources = build_resources()
    live = {
        name: resources[name].process_config_and_initialize()
        for name in ("dynamodb", "daily_stats_db", "reference")
    }
    zones = valid_zone_names(live["reference"])
    first_hourly = max(0, days - HOURLY_DAYS)
    if not first_hourly:  # the first day's start is snapshotted: its items must exist
        _counters_after_a_reset(client, tables, model.zones)
    dispatches = pickups = rows = snapshots = 0

    def at_clock(job, asset, at: datetime, **kwargs) -> dg.ExecuteInProcessResult:
        config = {asset.op.name: {"config": {"clock_at": at.isoformat()}}}
        return run_job(job, [asset], resources, instance, ops=config, **kwargs)

    def traffic(start: datetime, end: datetime, every_zone: Sequence[str] = ()) -> None:
        nonlocal dispatches, pickups
        batch = model.increments(start, end)
        apply_increments(client, batch, tables, every_zone)
        dispatches += sum(e["dispatch"] for e in batch)
        pickups += sum(e["pickup"] for e in batch)

    def write(hours: dict[datetime, list[tuple[str, int, int]]]) -> None:
        """What `clock_at` runs of the snapshot asset write at these hours, without the runs:
        the rows of the asset's own scan (or what that scan would read), one load for all."""
        nonlocal rows, snapshots
        rows += write_snapshots(live["daily_stats_db"], hours)
        snapshots += len(hours)

    def hour_by_hour(start: datetime, with_start: bool) -> None:
        """A day snapshotted after every hour: the scan at its start plus the simulator's
        increments so far, which is what the collector reads when nothing else writes; then
        the day's traffic written in one batch (the same per-minute draws, summed)."""
        scanned = read_zone_counters(live["dynamodb"], zones)
        dispatch, pickup = dict(scanned.dispatch), dict(scanned.pickup)
        hours = {start: scanned.rows()} if with_start else {}
        for hour in range(1, 25):
            for entry in model.increments(start + (hour - 1) * HOUR, start + hour * HOUR):
                dispatch[entry["zone"]] = dispatch.get(entry["zone"], 0) + entry["dispatch"]
                pickup[entry["zone"]] = pickup.get(entry["zone"], 0) + entry["pickup"]
            counters = ZoneCounters(dispatch, pickup, scanned.problems)
            hours[start + hour * HOUR] = counters.rows()
        write(hours)
        traffic(start, start + 24 * HOUR)

    started = time.monotonic()
    with demo_instance() as instance:
        for number, day in enumerate(simulated_days(days)):
            if number < first_hourly:  # a whole day at once; its end is the next's baseline
                # The first day also leaves every zone's items, at 0 where it had no
                # traffic: in the same writes (one per item, ~500 fewer requests to moto
                # than writing the zeros first), read by nothing before they are all there.
                every_zone = model.zones if number == 0 else ()
                traffic(day_start(day), day_start(day) + 24 * HOUR, every_zone)
                if number == first_hourly - 1:
                    scan = read_zone_counters(live["dynamodb"], zones)
                    write({day_start(day) + 24 * HOUR: scan.rows()})
            else:
                hour_by_hour(day_start(day), with_start=number == 0)
            if number < days - 1:  # the last day stays open: the live view shows it
                closing = day_start(day) + 24 * HOUR + CLOSE_AFTER
                at_clock(
                    schedules.daily_zone_stats_job,
                    daily_zone_stats,
                    closing,
                    partition_key=day.isoformat(),
                )
                way = "hour by hour" if number >= first_hourly else "in one batch"
                print(f"    {day}: 24 hours written {way}, closed at 03:00", flush=True)
    first = day_start(simulated_days(days)[0])
    end = first + days * 24 * HOUR
    put_assignments(client, model.assignments(end), tables.destination)
    closed = f", {days - 1} day(s) closed at 03:00" if days > 1 else ""
    print(
        f"    simulated {first:%Y-%m-%d %H:%M} + {days * 24} h: {dispatches} dispatches, "
        f"{pickups} pickups in {len(model.zones)} zones; {snapshots} hourly snapshots "
        f"written ({rows} rows){closed}, in {time.monotonic() - started:.1f}s",
        flush=True,
    )


def _counters_after_a_reset(client, tables: CounterTables, zones: list[str]) -> None:
    """Every zone's items at 0, as the daily reset leaves them (it subtracts, never deletes),
    so the first snapshot is a baseline for every zone (when the first day is snapshotted
    from its start; otherwise its batch writes them, `apply_increments`' `every_zone`)."""
    items = [
        (table, ZONE_KEY, zone, 0)
        for table in (tables.zone_dispatch, tables.pickup)
        for zone in zones
    ]
    in_parallel(lambda item: add_count(client, *item), items)
    apply_increments(client, [], tables)  # creates both totals at 0


def plan(days: int) -> DemoPlan:
    hourly = simulated_days(days)[-HOURLY_DAYS:]
    first = day_start(hourly[0])
    last_hour = first + (len(hourly) * 24 - 1) * HOUR
    hours = (f"{first:%Y-%m-%d-%H:%M}", f"{last_hour:%Y-%m-%d-%H:%M}")
    return DemoPlan(
        # The live view before the days' close: the last day's counters are "today" in Grafana.
        order=[
            "zone_hourly_activity_log",
            "zone_diff_stats",
            "live_zone_counters",
            "daily_zone_stats",
        ],
        partitions={
            "zone_diff_stats": lambda: [hours],  # one single-run backfill of every hour
            # The days before were closed (and materialized) by their 03:00 runs above.
            "daily_zone_stats": lambda: [simulated_days(days)[-1].isoformat()],
        },
        prepare={"zone_hourly_activity_log": lambda: simulate_days(days)},
    )
