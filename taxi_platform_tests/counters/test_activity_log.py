"""`zone_hourly_activity_log` snapshots against the real moto DynamoDB and PostgreSQL."""

from datetime import date, timedelta

import dagster as dg
import pytest

from taxi_platform.defs.counters.activity_log import (
    zone_hourly_activity_log,
    zone_hourly_activity_log_no_zone_vanished,
)
from taxi_platform.defs.counters.items import DEFAULT_TABLES
from taxi_platform.defs.counters.snapshots import write_snapshot, write_snapshots
from taxi_platform_tests.counters.helpers import (
    materialize,
    put_items,
    seed_counters,
    seoul,
)
from taxi_platform_tests.support import checks, metadata

pytestmark = pytest.mark.usefixtures("clean")

AT = seoul(date(2025, 9, 5), 9, 5)


def snapshot_rows(db) -> list[tuple]:
    rows = db.fetch_all("SELECT * FROM zone_hourly_activity_log ORDER BY captured_at, zone_id")
    return [(r["captured_at"], r["zone_id"], r["dispatch_count"], r["pickup_count"]) for r in rows]


def test_a_snapshot_records_every_valid_zone_and_lists_bad_items(resources, daily_stats_db):
    seed_counters(
        {"Seaport": 5, "Union Sq": 3, "East Village": 4}, {"Seaport": 2, "Midtown Centre": 4}
    )
    put_items(DEFAULT_TABLES.pickup, [{"zone_id": {"S": "East Village"}, "count": {"S": "x"}}])

    result = materialize([zone_hourly_activity_log], resources, clock_at=AT)

    # Union Sq has no pickup item yet: 0. "Midtown Centre" is no TLC zone and East Village's
    # pickup count is unreadable: both left out (a 0 would read as a drop) and listed.
    assert snapshot_rows(daily_stats_db) == [(AT, "Seaport", 5, 2), (AT, "Union Sq", 3, 0)]
    meta = metadata(result, zone_hourly_activity_log)
    assert (meta["dagster/row_count"], meta["dispatch_sum"], meta["pickup_sum"]) == (2, 8, 2)
    assert meta["captured_at"] == AT.timestamp()
    assert meta["problems"] == 2
    assert {p.split("[")[1].split("]")[0] for p in meta["problem_list"]} == {
        "Midtown Centre",
        "East Village",
    }


def test_the_same_capture_time_replaces_its_snapshot(resources, daily_stats_db):
    seed_counters({"Seaport": 5}, {"Seaport": 2})
    materialize([zone_hourly_activity_log], resources, clock_at=AT)
    seed_counters({"Seaport": 6}, {"Seaport": 2})

    materialize([zone_hourly_activity_log], resources, clock_at=AT)

    assert snapshot_rows(daily_stats_db) == [(AT, "Seaport", 6, 2)]


def test_empty_tables_give_no_rows_and_say_so(resources, daily_stats_db):
    result = materialize([zone_hourly_activity_log], resources, clock_at=AT)

    assert snapshot_rows(daily_stats_db) == []
    problems = metadata(result, zone_hourly_activity_log)["problem_list"]
    assert len(problems) == 2 and all("table is empty" in p for p in problems)


def test_a_zone_that_vanishes_between_snapshots_is_a_warning(resources):
    assets = [zone_hourly_activity_log, zone_hourly_activity_log_no_zone_vanished]
    seed_counters({"Seaport": 5, "Union Sq": 3}, {"Seaport": 2})
    first = materialize(assets, resources, clock_at=AT)
    assert checks(first)["zone_hourly_activity_log_no_zone_vanished"].passed
    put_items(DEFAULT_TABLES.zone_dispatch, [{"zone_id": {"S": "Union Sq"}, "count": {"S": "3"}}])

    second = materialize(assets, resources, clock_at=AT + timedelta(minutes=5))

    evaluation = checks(second)["zone_hourly_activity_log_no_zone_vanished"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["vanished_zones"].value == ["Union Sq"]


def test_a_history_load_replaces_every_snapshot_between_its_first_and_last(daily_stats_db):
    hours = [AT + timedelta(hours=h) for h in range(4)]
    write_snapshot(daily_stats_db, hours[0], [("Seaport", 1, 0)])  # before the window: kept
    write_snapshot(daily_stats_db, hours[2], [("Seaport", 99, 99)])  # inside: replaced

    written = write_snapshots(
        daily_stats_db, {hours[1]: [("Seaport", 2, 1)], hours[3]: [("Seaport", 4, 2)]}
    )

    assert written == 2
    assert snapshot_rows(daily_stats_db) == [
        (hours[0], "Seaport", 1, 0),
        (hours[1], "Seaport", 2, 1),
        (hours[3], "Seaport", 4, 2),
    ]
