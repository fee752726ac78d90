"""The Grafana live view against the real moto DynamoDB and PostgreSQL."""

import dagster as dg
import psycopg
import pytest

from taxi_platform.defs.counters.items import DEFAULT_TABLES
from taxi_platform.defs.counters.live_view import (
    LIVE_TAXIS,
    LIVE_TOTALS,
    LIVE_ZONES,
    counters_live_view,
    live_counter_totals_match_zones,
    live_taxi_destinations_all_assigned,
)
from taxi_platform_tests.counters.helpers import (
    materialize,
    put_items,
    seed_counters,
)
from taxi_platform_tests.support import checks, metadata

pytestmark = pytest.mark.usefixtures("clean")

ASSETS = [
    counters_live_view,
    live_taxi_destinations_all_assigned,
    live_counter_totals_match_zones,
]
UPDATED = {"S": "2025-09-05T00:05:00+00:00"}


def taxi(taxi_id: str, **attributes) -> dict:
    return {"taxi_id": {"S": taxi_id}, "updated_at": UPDATED, **attributes}


def rows(db, table: str) -> list[dict]:
    return db.fetch_all(f"SELECT * FROM {table} ORDER BY 1")


def test_live_tables_and_the_unassigned_taxi_warning(resources, daily_stats_db, stack_env):
    seed_counters({"Seaport": 5, "Union Sq": 3}, {"Seaport": 2}, (9, 2))
    put_items(
        DEFAULT_TABLES.destination,
        [
            taxi("taxi-0001", status={"S": "assigned"}, destination_zone={"S": "Seaport"}),
            taxi("taxi-0002", status={"S": "unassigned"}),
            taxi("taxi-0003", status={"S": "assigned"}, destination_zone={"S": "Atlantis"}),
            taxi("taxi-0004", destination_zone={"N": "7"}),
        ],
    )

    result = materialize(ASSETS, resources)

    zones = rows(daily_stats_db, LIVE_ZONES)
    assert [(r["zone_id"], r["dispatch_count"], r["pickup_count"]) for r in zones] == [
        ("Seaport", 5, 2),
        ("Union Sq", 3, 0),
    ]
    totals = rows(daily_stats_db, LIVE_TOTALS)
    assert [(r["counter_type"], r["total"], r["zone_sum"]) for r in totals] == [
        ("dispatch", 9, 8),
        ("pickup", 2, 2),
    ]
    taxis = rows(daily_stats_db, LIVE_TAXIS)
    assert [(r["taxi_id"], r["destination_zone"]) for r in taxis] == [
        ("taxi-0001", "Seaport"),
        ("taxi-0002", None),
        ("taxi-0003", "Atlantis"),  # assigned to a zone the map does not know: listed below
    ]
    problems = metadata(result, dg.AssetKey(LIVE_TAXIS))["problem_list"]
    assert any("Atlantis" in p for p in problems) and any("taxi-0004" in p for p in problems)
    warning = checks(result)["live_taxi_destinations_all_assigned"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["taxis"].value == ["taxi-0002"]
    # 9 dispatches in the flag table, 8 in the zones: within the tolerance of live traffic.
    totals = checks(result)["live_counter_totals_match_zones"]
    assert not totals.passed and totals.severity == dg.AssetCheckSeverity.WARN
    assert totals.metadata["dispatch_difference"].value == 9 - (5 + 3)
    assert totals.metadata["pickup_difference"].value == 0
    # Grafana's read-only role sees the warning panel's view.
    with psycopg.connect(stack_env["TAXI_BI_READER_URL"]) as conn:
        unassigned = conn.execute("SELECT taxi_id FROM live_unassigned_taxis").fetchall()
    assert unassigned == [("taxi-0002",)]


def test_a_refresh_replaces_the_tables_and_a_full_fleet_passes(resources, daily_stats_db):
    seed_counters({"Seaport": 5}, {"Seaport": 2})
    put_items(DEFAULT_TABLES.destination, [taxi("taxi-0002")])
    materialize(ASSETS, resources)
    put_items(
        DEFAULT_TABLES.destination,
        [taxi("taxi-0002", status={"S": "assigned"}, destination_zone={"S": "Union Sq"})],
    )

    result = materialize(ASSETS, resources)

    assert checks(result)["live_taxi_destinations_all_assigned"].passed
    assert checks(result)["live_counter_totals_match_zones"].passed  # totals = the zone sums
    assert [r["destination_zone"] for r in rows(daily_stats_db, LIVE_TAXIS)] == ["Union Sq"]
    assert len(rows(daily_stats_db, LIVE_ZONES)) == 1


def test_totals_far_from_the_zone_sums_fail_the_check(resources):
    seed_counters({"Seaport": 500, "Union Sq": 300}, {"Seaport": 200}, (2000, 200))

    result = materialize(ASSETS, resources)

    totals = checks(result)["live_counter_totals_match_zones"]
    assert not totals.passed and totals.severity == dg.AssetCheckSeverity.ERROR
    assert totals.metadata["dispatch_difference"].value == 2000 - 800
