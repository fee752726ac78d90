"""click_events + the four marts through `dg.materialize` and the shell, with the real
resources (moto S3, PostgreSQL `gold`, the default engine: DuckDB reading moto's S3), against
the pandas reference computed from the simulator's own records."""

import io
import os
from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from taxi_platform.defs.clicks.click_events import (
    HOURS_CHECK,
    QUARANTINE_CHECK,
    click_events,
    silver_key,
)
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform_tests.clicks.conftest import (
    DAY,
    GAP_HOUR,
    GAPPY_DAY,
    WEEK,
    WEEK_END,
    WEEK_RANGE,
    published,
)
from taxi_platform_tests.clicks.reference_marts import events
from taxi_platform_tests.support import checks, materializations, metadata, shell_materialize


def assert_marts_equal(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    for table, expected in want.items():
        actual = got[table][list(expected.columns)]
        for column in ("first_click_ts", "last_click_ts"):
            if column in actual:
                actual[column] = pd.to_datetime(actual[column], utc=True)
        assert len(actual) == len(expected) > 0, table
        pd.testing.assert_frame_equal(
            actual.reset_index(drop=True), expected, check_dtype=False, check_exact=True
        )


def test_week_backfill_equals_the_reference(week_run, reference, served_records, gold_db):
    silver, marts = week_run
    assert_marts_equal(published(gold_db, WEEK[0], WEEK_END), reference)
    sessions = reference["mart_session_analysis"]
    assert (sessions["session_duration_sec"] > 0).any()
    crossing = sessions.groupby("session_id")["event_date"].nunique()
    assert (crossing > 1).any(), "no session crosses midnight: the split is untested"

    expected = events(served_records, WEEK)
    raw = pd.DataFrame(served_records).astype({"document_id": "Int64"})
    for day, result in zip(WEEK, silver, strict=True):
        silver_day = metadata(result, click_events)
        assert silver_day["dagster/row_count"] == (expected["event_date"] == day).sum()
        assert silver_day["hours_present"] == 24
        assert silver_day["missing_hours"] == []
    dropped = sum(metadata(r, click_events)["duplicates_dropped"] for r in silver)
    assert dropped > 0, "the simulator served no duplicate in the week"
    assert dropped == len(raw[raw.duplicated()].pipe(_of_days, WEEK))

    assert len(marts.get_step_success_events()) == 1  # one engine run for the week
    rows = {
        (m.asset_key.to_user_string(), m.partition): m.metadata["dagster/row_count"].value
        for m in marts.asset_materializations_for_node(gold_marts.op.name)
    }
    assert rows == {  # each day's partition carries that day's rows, not the week's
        (name, day.isoformat()): int((reference[name]["event_date"] == day).sum())
        for name in MART_NAMES
        for day in WEEK
    }
    in_run = {
        m.asset_key.to_user_string(): m.metadata["rows_in_run"].value
        for m in marts.asset_materializations_for_node(gold_marts.op.name)
    }
    assert in_run == {name: len(reference[name]) for name in MART_NAMES}
    timings = marts.asset_materializations_for_node(gold_marts.op.name)[0].metadata
    assert timings["engine"].value == "duckdb"
    for key in ("engine_start_seconds", "engine_compute_seconds", "load_seconds"):
        assert timings[key].value > 0
    checks = marts.get_asset_check_evaluations()
    assert len(checks) == 12 and all(c.passed for c in checks)


def _of_days(frame: pd.DataFrame, days) -> pd.DataFrame:
    stamps = pd.to_datetime(frame["inDate"], format="ISO8601", utc=True)
    return frame[stamps.dt.date.isin(days)]


SILVER_ROW = ["in_date", "session_id", "user_id", "method", "url", "query", "document_id"]


def test_a_range_run_of_silver_writes_what_the_day_runs_wrote(
    week_run, resources, lake, served_records
):
    """The week as ONE run (single-run backfill) after the per-day runs of `week_run`: each
    day's object is byte for byte what its own run wrote (replaced, never appended), and
    holds the day's distinct records as pandas finds them in what the simulator served."""
    by_day_run = {day: lake.get_bytes(silver_key(day)) for day in WEEK}
    ranged = dg.materialize(
        [click_events],
        resources=resources,
        tags=WEEK_RANGE,
    )
    assert len(ranged.get_step_success_events()) == 1
    assert {day: lake.get_bytes(silver_key(day)) for day in WEEK} == by_day_run

    expected = events(served_records, WEEK)
    found = {m["partition"]: m for m in materializations(ranged, click_events)}
    assert {day: meta["dagster/row_count"] for day, meta in found.items()} == {
        day.isoformat(): int((expected["event_date"] == day).sum()) for day in WEEK
    }
    want = expected.rename(columns={"inDate": "in_date"})
    for day in (WEEK[0], WEEK[-1]):
        got = pq.read_table(io.BytesIO(by_day_run[day])).to_pandas()
        pd.testing.assert_frame_equal(
            _comparable(got), _comparable(want[expected["event_date"] == day])
        )
    evaluations = checks(ranged)
    assert set(evaluations) == {HOURS_CHECK, QUARANTINE_CHECK}
    for check in evaluations.values():
        assert check.passed and check.partition is None
        assert check.metadata["days_checked"].value == len(WEEK)
        assert check.metadata["failing_days"].value == {}


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The record columns, missing values as None, rows in one order."""
    rows = frame[SILVER_ROW].astype({"document_id": "Int64"}).astype(object)
    rows = rows.where(rows.notna(), None)
    return rows.sort_values(SILVER_ROW, key=lambda c: c.map(repr)).reset_index(drop=True)


def test_rerun_of_a_day_from_the_shell_changes_nothing(
    week_run, reference, stack_env, lake, gold_db
):
    silver_before = lake.get_bytes(silver_key(DAY))
    for assets in (click_events, gold_marts):
        shell_materialize(assets, env={**os.environ, **stack_env}, partition=DAY.isoformat())
    assert lake.get_bytes(silver_key(DAY)) == silver_before
    assert_marts_equal(published(gold_db, WEEK[0], WEEK_END), reference)


def test_a_missing_hour_fails_the_check_and_blocks_the_marts(resources, bronze, gold_db):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [click_events, gold_marts],
        partition_key=GAPPY_DAY.isoformat(),
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations[QUARANTINE_CHECK].passed  # nothing of the simulator's was unstorable
    check = evaluations[HOURS_CHECK]
    assert not check.passed
    [(failing_day, message)] = check.metadata["failing_days"].value.items()
    assert failing_day == GAPPY_DAY.isoformat()
    assert f"{GAPPY_DAY.isoformat()}-{GAP_HOUR:02d}:00" in message
    assert "1 of 24 hours" in message and message in check.description
    assert metadata(result, click_events)["hours_present"] == 23
    assert materializations(result, gold_marts) == []
    marts_alone = dg.materialize(  # the check is per run: the marts still refuse the day
        [click_events, gold_marts],
        selection=list(MART_NAMES),
        partition_key=GAPPY_DAY.isoformat(),
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    failure = marts_alone.failure_data_for_node(gold_marts.op.name).error.message
    assert f"click_events of {GAPPY_DAY.isoformat()} misses bronze hours" in failure
    assert f"{GAPPY_DAY.isoformat()}-{GAP_HOUR:02d}:00" in failure
    assert all(
        len(f) == 0 for f in published(gold_db, GAPPY_DAY, GAPPY_DAY + timedelta(1)).values()
    )


def test_marts_need_silver_for_every_day(resources):
    day = date(2026, 3, 25)
    result = dg.materialize(
        [click_events, gold_marts],
        selection=list(MART_NAMES),
        partition_key=day.isoformat(),
        resources=resources,
        raise_on_error=False,
    )
    failure = result.failure_data_for_node(gold_marts.op.name).error.message
    assert f"click_events is not materialized for {day.isoformat()}" in failure
