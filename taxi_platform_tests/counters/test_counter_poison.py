"""Counters that cannot be wedged, against the real moto DynamoDB and PostgreSQL: counts
beyond `integer` and `bigint`, an old narrow schema, a deleted `counter_resets` row."""

from datetime import date
from pathlib import Path

import pytest

from taxi_platform.defs.counters.daily_stats import daily_zone_stats
from taxi_platform.defs.counters.items import DEFAULT_TABLES
from taxi_platform.defs.counters.ledger import load_reset
from taxi_platform.defs.counters.reset import MAX_BIGINT, RESET_MARKER
from taxi_platform.settings import INFRA_DIR
from taxi_platform_tests.counters.helpers import counts, scan_items, seed_counters
from taxi_platform_tests.counters.test_daily_zone_stats import run_day, stored_rows
from taxi_platform_tests.support import checks, failure_message, metadata

pytestmark = pytest.mark.usefixtures("clean")

DAY = date(2025, 9, 1)
INT_MAX = 2**31 - 1
DDL = Path(INFRA_DIR, "postgres", "daily_stats_db.sql")
WIDENED = {
    ("daily_zone_stats", "most_pickup_count"): "bigint",
    ("daily_zone_stats", "least_pickup_count"): "bigint",
    ("daily_zone_stats", "total_dispatch"): "bigint",
    ("daily_zone_stats", "total_pickup"): "bigint",
    ("daily_zone_stats", "dispatch_success_rate"): "numeric",
    ("zone_diff_stats", "dispatch_count"): "bigint",
    ("zone_diff_stats", "pickup_count"): "bigint",
    ("zone_diff_stats", "dispatch_minus_pickup"): "bigint",
}


def column_types(db) -> dict[tuple[str, str], str]:
    rows = db.fetch_all(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_name IN ('daily_zone_stats', 'zone_diff_stats')"
    )
    return {
        (r["table_name"], r["column_name"]): r["data_type"]
        for r in rows
        if (r["table_name"], r["column_name"]) in WIDENED
    }


def test_counts_above_integer_close_the_day_and_reset(resources, daily_stats_db):
    big = INT_MAX + 10
    seed_counters({"Seaport": big + 5, "Union Sq": 7}, {"Seaport": big, "Union Sq": 3})

    result = run_day(resources, DAY)

    row = stored_rows(daily_stats_db)[0]
    assert row["most_pickup_count"] == big and row["total_pickup"] == big + 3
    assert row["total_dispatch"] == big + 12
    assert load_reset(daily_stats_db, DAY).status == "applied"
    assert set(counts(DEFAULT_TABLES.pickup).values()) == {0}
    assert all(c.passed for c in checks(result).values())


def test_more_pickups_than_dispatches_by_far_still_stores_the_rate(resources, daily_stats_db):
    # 10^7 pickups of 1 dispatch: a rate numeric(6, 3) could not hold; the check flags it.
    seed_counters({"Seaport": 1}, {"Seaport": 10**7})

    result = run_day(resources, DAY)

    assert stored_rows(daily_stats_db)[0]["dispatch_success_rate"] == 10**7
    assert not checks(result)["rate_valid"].passed


def test_the_ddl_widens_an_old_integer_schema_and_reapplies_as_a_no_op(daily_stats_db):
    for table, column in WIDENED:
        kind = "numeric(6, 3)" if column == "dispatch_success_rate" else "integer"
        daily_stats_db.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind}")
    assert set(column_types(daily_stats_db).values()) == {"integer", "numeric"}

    daily_stats_db.execute(DDL.read_text())
    assert column_types(daily_stats_db) == WIDENED
    daily_stats_db.execute(DDL.read_text())  # idempotent
    assert column_types(daily_stats_db) == WIDENED
    precision = daily_stats_db.fetch_all(
        "SELECT numeric_precision FROM information_schema.columns "
        "WHERE table_name = 'daily_zone_stats' AND column_name = 'dispatch_success_rate'"
    )
    assert precision == [{"numeric_precision": 22}]


def test_a_count_beyond_bigint_is_refused_before_anything_is_reset(resources, daily_stats_db):
    huge = MAX_BIGINT + 1
    seed_counters({"Seaport": 4}, {"Seaport": huge}, totals=(4, huge))

    refused = run_day(resources, DAY, raise_on_error=False)

    assert not refused.success
    message = failure_message(refused)
    assert f"counts above {MAX_BIGINT} (bigint) cannot be ledgered" in message
    assert f"pickups of Seaport = {huge}" in message and "nothing was reset" in message
    assert load_reset(daily_stats_db, DAY) is None
    assert counts(DEFAULT_TABLES.pickup) == {"Seaport": huge}
    assert counts(DEFAULT_TABLES.zone_dispatch) == {"Seaport": 4}


def test_a_deleted_reset_row_is_detected_not_claimed_again(resources, daily_stats_db):
    seed_counters({"Seaport": 40, "Union Sq": 8}, {"Seaport": 10, "Union Sq": 2})
    assert run_day(resources, DAY).success
    assert {i[RESET_MARKER]["S"] for i in scan_items(DEFAULT_TABLES.pickup)} == {f"reset {DAY}"}
    daily_stats_db.execute("DELETE FROM counter_resets WHERE stat_date = %s", [DAY])
    daily_stats_db.execute("DELETE FROM daily_zone_stats WHERE stat_date = %s", [DAY])
    seed_counters({"Seaport": 5}, {"Seaport": 1})  # traffic since the reset

    refused = run_day(resources, DAY, raise_on_error=False)

    assert not refused.success
    message = failure_message(refused)
    assert f"already carry a reset marker of {DAY} or later" in message
    assert "counter_resets row of that reset was deleted" in message
    assert load_reset(daily_stats_db, DAY) is None  # nothing claimed
    assert counts(DEFAULT_TABLES.pickup)["Seaport"] == 1  # nothing subtracted


def test_a_later_days_marker_also_blocks_a_ledgerless_backfill(resources, daily_stats_db):
    later = date(2025, 9, 2)
    seed_counters({"Seaport": 4}, {"Seaport": 1})
    assert metadata(run_day(resources, later), daily_zone_stats)["zones_reset"] == 1
    daily_stats_db.execute("DELETE FROM counter_resets WHERE stat_date = %s", [later])

    refused = run_day(resources, DAY, raise_on_error=False)

    assert not refused.success
    assert f"reset {later}" in failure_message(refused)


def test_a_ledger_claiming_an_unmarked_subtraction_is_reported(resources, daily_stats_db):
    seed_counters({"Seaport": 40, "Union Sq": 8}, {"Seaport": 10, "Union Sq": 2})
    first = run_day(resources, DAY)
    assert checks(first)["ledger_matches_item_markers"].passed
    # A ledger edited (or restored from another environment) to claim a zone never reset.
    daily_stats_db.execute(
        "INSERT INTO counter_reset_ledger VALUES (%s, 'Midtown Center', 5, 0)", [DAY]
    )

    again = run_day(resources, DAY)

    check = checks(again)["ledger_matches_item_markers"]
    assert not check.passed
    assert check.metadata["items_without_marker"].value == [
        f"{DEFAULT_TABLES.zone_dispatch}/Midtown Center (no item)"
    ]
    assert counts(DEFAULT_TABLES.zone_dispatch) == {"Seaport": 0, "Union Sq": 0}  # untouched
