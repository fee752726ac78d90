"""`zone_diff_stats` (and the snapshots it reads) against the real moto DynamoDB and PostgreSQL."""

import os
import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from taxi_platform.defs.counters.activity_log import zone_hourly_activity_log
from taxi_platform.defs.counters.daily_stats import daily_zone_stats
from taxi_platform.defs.counters.diff_stats import zone_diff_stats, zone_diff_stats_no_negative_diff
from taxi_platform.defs.counters.items import DEFAULT_TABLES
from taxi_platform.defs.counters.snapshots import write_snapshot
from taxi_platform_tests.counters.helpers import add, materialize, seed_counters, seoul
from taxi_platform_tests.support import checks, failure_message, metadata, shell_materialize

pytestmark = pytest.mark.usefixtures("clean")

DAY = date(2025, 9, 2)
DIFFS = [zone_diff_stats, zone_diff_stats_no_negative_diff]
ZONES = ["JFK Airport", "Seaport", "Union Sq"]


def hour_key(at: datetime) -> str:
    return at.strftime("%Y-%m-%d-%H:%M")


def diff_range(resources, first: datetime, last: datetime, **kwargs):
    """One run over the hours first..last, as a single-run backfill launches it."""
    tags = {
        "dagster/asset_partition_range_start": hour_key(first),
        "dagster/asset_partition_range_end": hour_key(last),
    }
    return materialize(DIFFS, resources, tags=tags, **kwargs)


def utc_hour(at: datetime) -> int:
    return at.astimezone(UTC).hour


def stored(db, table: str = "zone_diff_stats") -> list[dict]:
    return db.fetch_all(f'SELECT * FROM {table} ORDER BY "timestamp", zone_id')


class Traffic:
    """The dispatch server: increments with known true hours, the ground truth of the diffs."""

    def __init__(self) -> None:
        self.rng = random.Random(11)
        self.truth: list[dict] = []

    def burst(self, hour: datetime, zones: list[str]) -> None:
        for zone in zones:
            dispatch = self.rng.randint(1, 9)
            pickup = self.rng.randint(0, dispatch)
            add(DEFAULT_TABLES.zone_dispatch, zone, dispatch)
            add(DEFAULT_TABLES.flag, "dispatch", dispatch)
            if pickup:
                add(DEFAULT_TABLES.pickup, zone, pickup)
                add(DEFAULT_TABLES.flag, "pickup", pickup)
            self.truth.append(
                {"timestamp": hour, "zone_id": zone, "dispatch": dispatch, "pickup": pickup}
            )


def test_hours_across_the_daily_reset_equal_a_pandas_computation(resources, daily_stats_db):
    def snapshot(hour: int, minute: int = 0) -> None:
        materialize([zone_hourly_activity_log], resources, clock_at=seoul(DAY, hour, minute))

    seed_counters({"Seaport": 50, "Union Sq": 80}, {"Seaport": 10})  # before the first hour
    traffic = Traffic()
    h1, h2, h3 = (seoul(DAY, h) for h in (1, 2, 3))
    snapshot(1)
    traffic.burst(h1, ["Seaport", "Union Sq"])
    snapshot(2)
    traffic.burst(h2, ["Seaport"])
    snapshot(2, 30)
    traffic.burst(h2, ["Seaport", "Union Sq"])
    snapshot(3)
    traffic.burst(h3, ["Union Sq"])
    reset = materialize(
        [daily_zone_stats], resources, partition_key="2025-09-01", clock_at=seoul(DAY, 3, 0, 30)
    )
    assert metadata(reset, daily_zone_stats)["item_updates_applied"] > 0
    traffic.burst(h3, ["Seaport", "JFK Airport"])  # JFK's first increment: a new item
    snapshot(3, 30)
    traffic.burst(h3, ["Union Sq", "JFK Airport"])
    snapshot(4)

    result = diff_range(resources, h1, h3)

    truth = pd.DataFrame(traffic.truth).groupby(["timestamp", "zone_id"], as_index=False).sum()
    zones_by_hour = {h1: ZONES[1:], h2: ZONES[1:], h3: ZONES}  # JFK exists from hour 3
    index = pd.MultiIndex.from_tuples(
        [(h, z) for h, zones in zones_by_hour.items() for z in zones], names=truth.columns[:2]
    )
    expected = truth.set_index(["timestamp", "zone_id"]).reindex(index, fill_value=0)
    expected["dispatch_minus_pickup"] = expected["dispatch"] - expected["pickup"]
    got = pd.DataFrame(stored(daily_stats_db)).set_index(["timestamp", "zone_id"])
    assert list(got.index) == list(expected.index)
    assert got["dispatch_count"].tolist() == expected["dispatch"].tolist()
    assert got["pickup_count"].tolist() == expected["pickup"].tolist()
    assert got["dispatch_minus_pickup"].tolist() == expected["dispatch_minus_pickup"].tolist()
    assert checks(result)["zone_diff_stats_no_negative_diff"].passed
    meta = metadata(result, zone_diff_stats)
    assert (meta["hours"], meta["resets_used"], meta["problems"]) == (3, 1, 0)

    # Re-running any part gives the same rows, never duplicates; snapshots are replaced.
    rows = stored(daily_stats_db)
    materialize(DIFFS, resources, partition_key=hour_key(h2))
    diff_range(resources, h1, h3)
    assert stored(daily_stats_db) == rows
    logged = stored_snapshots(daily_stats_db)
    snapshot(4)
    assert stored_snapshots(daily_stats_db) == logged


def stored_snapshots(db) -> list[dict]:
    return db.fetch_all("SELECT * FROM zone_hourly_activity_log ORDER BY captured_at, zone_id")


def test_an_unexplained_drop_is_an_anomaly_and_a_late_boundary_an_issue(resources, daily_stats_db):
    day = date(2025, 9, 3)
    for (hour, minute), seaport in {(10, 0): 10, (10, 30): 4, (11, 0): 6, (11, 30): 9}.items():
        at = seoul(day, hour, minute)
        write_snapshot(daily_stats_db, at, [("Seaport", seaport, 0), ("Union Sq", hour, 1)])

    result = diff_range(resources, seoul(day, 10), seoul(day, 11))

    evaluation = checks(result)["zone_diff_stats_no_negative_diff"]
    assert not evaluation.passed and evaluation.metadata["anomalies"].value == 1
    # In UTC whatever the session's zone (the database's default is the business zone).
    rows = [(utc_hour(r["timestamp"]), r["zone_id"]) for r in stored(daily_stats_db)]
    assert rows == [(1, "Union Sq"), (2, "Seaport"), (2, "Union Sq")]  # UTC hours 10, 11 KST
    issues = {
        (utc_hour(i["timestamp"]), i["zone_id"], i["kind"])
        for i in stored(daily_stats_db, "zone_diff_issues")
    }
    assert issues == {(1, "Seaport", "anomaly"), (2, None, "late_boundary")}
    assert metadata(result, zone_diff_stats)["anomalies"] == 1


def test_an_hour_without_snapshots_fails_and_writes_nothing(resources, daily_stats_db):
    day = date(2025, 9, 3)
    write_snapshot(daily_stats_db, seoul(day, 14), [("Seaport", 1, 0)])
    write_snapshot(daily_stats_db, seoul(day, 15), [("Seaport", 2, 0)])

    result = diff_range(resources, seoul(day, 14), seoul(day, 15), raise_on_error=False)

    assert not result.success
    message = failure_message(result)
    assert "1 hour(s)" in message and "2025-09-03T15:00:00+09:00: no counter snapshot" in message
    assert stored(daily_stats_db) == []


def test_dagster_cli_materializes_an_hour_from_the_shell(stack_env, daily_stats_db):
    day = date(2025, 9, 4)
    for minute, seaport in ((0, 3), (30, 5), (60, 12)):
        at = seoul(day, 10) + timedelta(minutes=minute)
        write_snapshot(daily_stats_db, at, [("Seaport", seaport, 1)])
    shell_materialize(
        zone_diff_stats, env={**os.environ, **stack_env}, partition="2025-09-04-10:00"
    )

    row = stored(daily_stats_db)
    assert [(r["zone_id"], r["dispatch_count"], r["pickup_count"]) for r in row] == [
        ("Seaport", 9, 0)
    ]
