"""Fixtures of the gold tests: days of bronze in the lake built from the simulator's own
records (compressed with the codec, one object per UTC hour, as `api_logs` lays them out),
those raw records for the independent reference, the week's Silver and marts on the default
engine (shared by the pipeline and engine-parity tests), and cleanup of the lake and `gold`.

The simulator's windows start 90 s before midnight UTC, so some sessions cross midnight
and are split between two days, as the marts define. Few records per window keep it fast.
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest
from psycopg import sql

from taxi_platform.defs.clicks.click_events import click_events, day_hours, silver_key
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.defs.logs.codec import hour_object_key
from taxi_platform_dev.domains.clicks.simulated_bronze import write_hours
from taxi_platform_dev.domains.logs.simulator import FaultPlan, LogApiSimulator, SimulatorConfig
from taxi_platform_tests.clicks.reference_marts import KEYS, reference_marts

WEEK = [date(2026, 3, 9) + timedelta(days=n) for n in range(7)]
DAY = WEEK[1]
GAPPY_DAY, GAP_HOUR = date(2026, 3, 20), 7
CONFIG = SimulatorConfig(
    start=datetime(2026, 3, 9, tzinfo=UTC) - timedelta(seconds=90),
    seed=6,
    records_per_window=10,
    faults=FaultPlan(kinds=frozenset({"duplicate"}), rate=0.25),
)
WEEK_END = WEEK[-1] + timedelta(days=1)
TEST_DAYS = (WEEK[0], GAPPY_DAY + timedelta(days=1))  # [first, end) of every test day
WEEK_RANGE = {  # the tags of one run of the whole week (a single-run backfill)
    "dagster/asset_partition_range_start": WEEK[0].isoformat(),
    "dagster/asset_partition_range_end": WEEK[-1].isoformat(),
}


@pytest.fixture(scope="session")
def simulator() -> LogApiSimulator:
    return LogApiSimulator(CONFIG)


@pytest.fixture(scope="session")
def served_records(simulator) -> list[dict]:
    """Every record the simulator serves for the week (faults included), raw."""
    end = datetime(WEEK[-1].year, WEEK[-1].month, WEEK[-1].day, tzinfo=UTC) + timedelta(days=1)
    windows = range(simulator.window_at(end) + 2)
    return [record for k in windows for record in simulator.window_records(k)]


@pytest.fixture(scope="session")
def bronze(lake, gold_db, simulator):
    """The week and GAPPY_DAY (without hour GAP_HOUR) in bronze; removed afterwards with
    everything the tests derived from them."""
    hours = [h for day in [*WEEK, GAPPY_DAY] for h in day_hours(day)]
    hours.remove(day_hours(GAPPY_DAY)[GAP_HOUR])
    client = lake.get_client()
    written = write_hours(client, lake.bucket, simulator, hours)
    yield written
    for key in [*map(hour_object_key, hours), *(silver_key(d) for d in [*WEEK, GAPPY_DAY])]:
        client.delete_object(Bucket=lake.bucket, Key=key)
    for table in KEYS:
        query = sql.SQL("DELETE FROM {} WHERE event_date >= %s AND event_date < %s")
        gold_db.execute(query.format(sql.Identifier(table)), TEST_DAYS)


def published(gold_db, first: date, end: date) -> dict[str, pd.DataFrame]:
    """The marts' rows of days [first, end) as the database holds them, in key order."""
    frames = {}
    for table, keys in KEYS.items():
        query = sql.SQL("SELECT * FROM {} WHERE event_date >= %s AND event_date < %s ORDER BY {}")
        order = sql.SQL(", ").join(map(sql.Identifier, keys))
        frames[table] = gold_db.fetch_frame(
            query.format(sql.Identifier(table), order), [first, end]
        )
    return frames


@pytest.fixture(scope="session")
def reference(served_records) -> dict[str, pd.DataFrame]:
    return reference_marts(served_records, WEEK)


def week_marts(resources: dict, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """The four marts of the whole week in ONE run (its Silver must be in the lake)."""
    return dg.materialize(
        [click_events, gold_marts],
        selection=list(MART_NAMES),
        resources=resources,
        instance=instance,
        tags=WEEK_RANGE,
    )


@pytest.fixture(scope="session")
def week_run(resources, bronze):
    """Silver for each day of the week, then the marts for the whole week in ONE run, on the
    session's wiring (engine: DuckDB)."""
    instance = dg.DagsterInstance.ephemeral()
    silver = [
        dg.materialize(
            [click_events], partition_key=day.isoformat(), resources=resources, instance=instance
        )
        for day in WEEK
    ]
    return silver, week_marts(resources, instance)
