"""Data for the Grafana queries: counters simulated up to now, the zone tables, the marts.

Counters (the tables most panels read) are written by their own assets: the simulator's
traffic model and DynamoDB writers play the dispatch server over a dozen busy TLC zones, and
real Dagster runs (`clock_at` replays) snapshot, diff, close and reset business days ending
today, so panels anchored on "today", "yesterday" or "the latest week" all have rows:
- business day T-8 (the previous week of the weekly view): closed by `daily_zone_stats`;
- T-2 and T-1: traffic hour by hour with a snapshot at each hour from the last hours of
  T-2 on (the day before yesterday needs some hours, yesterday all 24), both days closed;
- today: traffic and a snapshot each hour up to now, a snapshot now, the fleet (some taxis
  unassigned), the live view; `zone_diff_stats` runs up to the last closed hour.
Fewer days or zones would not exercise more: every run costs about half a second.
`taxi_zones` is materialized. The Spark assets are not run (one Spark run alone takes
20–40 s on two cores, bench/RESULTS.md; their own tests check what they write): their
tables, `expected_pickups`, `adjacent_zones` and the four marts, get rows of the same shape
written by their writer roles, and are emptied (marts: their days) afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import dagster as dg
from psycopg import sql

from taxi_platform.defs.counters.activity_log import zone_hourly_activity_log
from taxi_platform.defs.counters.daily_stats import daily_zone_stats
from taxi_platform.defs.counters.diff_stats import zone_diff_stats
from taxi_platform.defs.counters.items import TAXI_KEY, CounterTables
from taxi_platform.defs.counters.live_view import counters_live_view
from taxi_platform.defs.counters.stats import business_day_of, business_day_window
from taxi_platform.defs.zones.taxi_zones import taxi_zones
from taxi_platform.settings import timezone
from taxi_platform_dev.domains.counters.simulator import (
    TrafficModel,
    ZoneRow,
    apply_increments,
    load_zone_rows,
    put_assignments,
)
from taxi_platform_tests.counters.helpers import clear_counters, clear_tables, materialize

HOUR = timedelta(hours=1)
PREVIOUS_WEEK_DAY = 8  # T-8: the one day of the weekly view's previous 7 days
HOURLY_FROM = 3  # hourly snapshots start this many hours before yesterday (T-1) begins
ZONE_COUNT = 12
MART_DAYS = [date(2029, 6, 1) + timedelta(days=n) for n in range(7)]
MARTS = (
    "mart_daily_traffic",
    "mart_session_analysis",
    "mart_clinical_areas",
    "mart_popular_documents",
)


def busy_zones(zone_csv: Path) -> list[ZoneRow]:
    """Yellow-zone and airport rows: where the simulator puts the traffic."""
    rows = load_zone_rows(zone_csv)
    return [r for r in rows if r.service_zone in ("Yellow Zone", "Airports")][:ZONE_COUNT]


def business_day_start(day: date) -> datetime:
    return business_day_window(day, timezone())[0]


def hour_key(at: datetime) -> str:
    return at.astimezone(ZoneInfo(timezone())).strftime("%Y-%m-%d-%H:%M")


def simulate_counters(
    resources: dict, daily_stats_db, zones: list[ZoneRow], instance: dg.DagsterInstance
) -> datetime:
    """Every counters table, written by its asset, for the business days ending now; returns
    the end of the simulation. The runs share `instance`: a third faster than one each."""
    clear_counters()
    clear_tables(daily_stats_db)
    model = TrafficModel(zones, seed=3)
    client, tables = boto3.client("dynamodb"), CounterTables()

    def run(assets: list, **kwargs) -> None:
        materialize(assets, resources, instance=instance, **kwargs)

    def traffic(start: datetime, end: datetime) -> None:
        apply_increments(client, model.increments(start, end), tables)

    def close(day: date) -> None:
        after = business_day_start(day + timedelta(days=1)) + timedelta(seconds=30)
        run([daily_zone_stats], partition_key=day.isoformat(), clock_at=after)

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    today = business_day_of(now, timezone())
    previous_week = today - timedelta(days=PREVIOUS_WEEK_DAY)
    traffic(business_day_start(previous_week), business_day_start(previous_week) + 24 * HOUR)
    close(previous_week)
    yesterday = business_day_start(today - timedelta(days=1))
    start = business_day_start(today)
    first = yesterday - HOURLY_FROM * HOUR
    # Snapshots hour by hour up to the current hour, as the hourly schedule leaves them: the
    # Live dashboard's last 24 hours then hold `zone_diff_stats` rows at any time of day.
    current = now.replace(minute=0)
    traffic(business_day_start(today - timedelta(days=2)), first)
    for at in (first + n * HOUR for n in range((current - first) // HOUR + 1)):
        if at in (yesterday, start):
            close(business_day_of(at, timezone()) - timedelta(days=1))
        # A minute after the hour: after the reset that closed the day before.
        run([zone_hourly_activity_log], clock_at=at + timedelta(minutes=1))
        traffic(at, min(at + HOUR, now))
    fleet = model.assignments(now, taxis=30, unassigned_share=0.1)
    fleet[0] = {TAXI_KEY: fleet[0][TAXI_KEY], "status": "unassigned", "updated_at": now.isoformat()}
    put_assignments(client, fleet, tables.destination)
    run([zone_hourly_activity_log])  # the live 5-minute snapshot: now
    run(
        [zone_diff_stats],
        tags={
            "dagster/asset_partition_range_start": hour_key(first),
            "dagster/asset_partition_range_end": hour_key(current - HOUR),
        },
    )
    run([counters_live_view])
    return datetime.now(UTC)


def materialize_zones(resources: dict, instance: dg.DagsterInstance) -> None:
    materialize([taxi_zones], resources, instance=instance)


EXPECTED_COLUMNS = [
    "pickup_zone_id",
    "pickup_hour",
    "expected_pickups",
    "total_pickups",
    "days_in_window",
]


def seed_zone_models(postgres_db, zones: list[ZoneRow]) -> None:
    """`expected_pickups` and `adjacent_zones` as the Spark job shapes them (spark_writer)."""
    ids = [z.location_id for z in zones]
    expected = [
        (zone, hour, round((n + 1) * (1 + (hour % 12)) / 4, 2), (n + 1) * (1 + hour % 12), 30)
        for n, zone in enumerate(ids)
        for hour in range(24)
    ]
    adjacent = [(zone, [z for z in ids if z != zone][: n % 4]) for n, zone in enumerate(ids)]
    with postgres_db.transaction() as conn:
        clear_zone_models(conn)
        postgres_db.copy_rows(conn, "expected_pickups", EXPECTED_COLUMNS, expected)
        postgres_db.copy_rows(conn, "adjacent_zones", ["zone_id", "adjacent_zone_ids"], adjacent)


def clear_zone_models(conn) -> None:
    conn.execute("DELETE FROM expected_pickups")
    conn.execute("DELETE FROM adjacent_zones")


def seed_marts(gold_db) -> None:
    """A week of the four Gold marts (gold_writer), days far from other tests' days."""
    rows: dict[str, list[tuple]] = {mart: [] for mart in MARTS}
    for n, day in enumerate(MART_DAYS, start=1):
        rows["mart_daily_traffic"].append((day, 900 + 40 * n, 70 + n, 30 + n, 8 + n))
        first = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        for s in range(3):
            last = first + timedelta(minutes=5 * (s + 1))
            session = (f"s{n}-{s}", day, 2 + s, 1 + s, first, last, (last - first).seconds)
            rows["mart_session_analysis"].append(session)
        rows["mart_clinical_areas"] += [(day, area, 10 * n, n) for area in ("Cardiology", "ENT")]
        rows["mart_popular_documents"].append((day, 1000 + n, f"Document {n}", 5 * n, n))
    with gold_db.transaction() as conn:
        clear_marts(conn)
        for mart, mart_rows in rows.items():
            empty = sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(mart))
            columns = [d.name for d in conn.execute(empty).description]
            gold_db.copy_rows(conn, mart, columns, mart_rows)


def clear_marts(conn) -> None:
    for mart in MARTS:
        query = sql.SQL("DELETE FROM {} WHERE event_date BETWEEN %s AND %s")
        conn.execute(query.format(sql.Identifier(mart)), (MART_DAYS[0], MART_DAYS[-1]))
