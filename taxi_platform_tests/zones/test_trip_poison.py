"""Poison trip files: a 0-row month, a truncated file, and what the zone models do with the
months `taxi_trips` rejected (moto S3, the real Dagster instance; one run of the default engine)."""

import dagster as dg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxi_platform.defs.zones.taxi_trips import taxi_trips
from taxi_platform.defs.zones.trip_files import summarize_trip_file, trip_key
from taxi_platform.defs.zones.zone_models import rejected_months, zone_models
from taxi_platform_dev.domains.zones.simulator import generate_month, parquet_bytes
from taxi_platform_tests.support import checks, failure_message, metadata

EMPTY_MONTH, TRUNCATED_MONTH = "2019-02", "2019-03"


@pytest.fixture
def trip_file(lake):
    """`trip_file(month, body)` puts a file under raw/nyc_taxi/, deleted after the test."""
    months = []

    def put(month: str, body: bytes) -> None:
        months.append(month)
        lake.put_bytes(trip_key(month), body)

    yield put
    for month in months:
        lake.get_client().delete_object(Bucket=lake.bucket, Key=trip_key(month))


def truncated(zone_csv) -> bytes:
    whole = parquet_bytes(generate_month(TRUNCATED_MONTH, 2_000, 3, zone_csv))
    return whole[: len(whole) // 2]


def materialize_month(resources, instance, month: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [taxi_trips],
        partition_key=f"{month}-01",
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )


def test_a_zero_row_file_summarizes_as_an_empty_month(zone_csv):
    empty = generate_month(EMPTY_MONTH, 2_000, 3, zone_csv).slice(0, 0)
    summary = summarize_trip_file(parquet_bytes(empty), EMPTY_MONTH)
    assert (summary.rows, summary.pickups_outside_month, summary.outside_share) == (0, 0, 0.0)
    assert summary.variant == "2023-01" and summary.accepted
    assert (summary.first_pickup, summary.last_pickup) == (None, None)


def test_a_zero_row_month_materializes_as_valid(resources, trip_file, zone_csv):
    empty = generate_month(EMPTY_MONTH, 2_000, 3, zone_csv).slice(0, 0)
    trip_file(EMPTY_MONTH, parquet_bytes(empty))

    result = materialize_month(resources, None, EMPTY_MONTH)

    assert result.success
    month = metadata(result, taxi_trips)
    assert month["dagster/row_count"] == 0 and month["accepted"] is True
    assert {name: c.passed for name, c in checks(result).items()} == {
        "tlc_schema": True,
        "pickups_in_month": True,
    }


def test_a_truncated_file_is_rejected_with_the_reason(resources, trip_file, zone_csv):
    body = truncated(zone_csv)
    summary = summarize_trip_file(body, TRUNCATED_MONTH)
    assert not summary.accepted and summary.rows == 0
    assert summary.unreadable.startswith(f"not a readable Parquet file ({len(body)} bytes)")
    trip_file(TRUNCATED_MONTH, body)
    instance = dg.DagsterInstance.ephemeral()

    result = materialize_month(resources, instance, TRUNCATED_MONTH)

    assert not result.success  # tlc_schema is blocking
    month = metadata(result, taxi_trips)
    assert month["accepted"] is False and month["rejection"] == summary.unreadable
    assert {name for name, c in checks(result).items() if not c.passed} == {
        "tlc_schema",
        "pickups_in_month",
    }
    assert rejected_months(instance, [TRUNCATED_MONTH, "2023-01"]) == {
        TRUNCATED_MONTH: summary.unreadable
    }


def test_a_rejected_month_named_in_the_config_fails_in_one_line(
    resources, trip_file, zone_csv, model_months_in_lake
):
    trip_file(TRUNCATED_MONTH, truncated(zone_csv))
    instance = dg.DagsterInstance.ephemeral()
    materialize_month(resources, instance, TRUNCATED_MONTH)

    result = dg.materialize(
        [zone_models],
        resources=resources,
        instance=instance,
        run_config={"ops": {zone_models.op.name: {"config": {"months": [TRUNCATED_MONTH]}}}},
        raise_on_error=False,
    )

    assert not result.success
    message = failure_message(result)
    assert f"months ['{TRUNCATED_MONTH}'] were rejected by taxi_trips" in message
    assert "not a readable Parquet file" in message and "Java" not in message


def test_the_default_window_leaves_a_rejected_month_out_and_names_it(
    resources, lake, trip_file, zone_csv, model_months_in_lake
):
    # The default window is every month in the lake minus the rejected one.
    trip_file(TRUNCATED_MONTH, truncated(zone_csv))
    trip_file(EMPTY_MONTH, parquet_bytes(generate_month(EMPTY_MONTH, 10, 3, zone_csv).slice(0, 0)))
    instance = dg.DagsterInstance.ephemeral()
    materialize_month(resources, instance, TRUNCATED_MONTH)
    assert materialize_month(resources, instance, EMPTY_MONTH).success
    in_lake = sorted(
        key.removeprefix("raw/nyc_taxi/yellow_tripdata_").removesuffix(".parquet")
        for key in lake.list_keys("raw/nyc_taxi/")
    )

    result = dg.materialize(
        [zone_models], resources=resources, instance=instance, raise_on_error=False
    )

    assert result.success, failure_message(result)
    pickups = next(
        m
        for m in result.asset_materializations_for_node(zone_models.op.name)
        if m.asset_key == dg.AssetKey("expected_pickups")
    ).metadata
    assert pickups["window_months"].value == [m for m in in_lake if m != TRUNCATED_MONTH]
    assert EMPTY_MONTH in pickups["window_months"].value
    assert list(pickups["months_left_out"].value) == [TRUNCATED_MONTH]


@pytest.fixture(scope="module")
def whole_file(zone_csv) -> tuple[bytes, int]:
    table = generate_month(TRUNCATED_MONTH, 500, 4, zone_csv)
    return parquet_bytes(table), table.num_rows


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_file_cut_anywhere_is_rejected_never_raised(whole_file, data):
    body, rows = whole_file
    cut = data.draw(st.integers(0, len(body)))
    summary = summarize_trip_file(body[:cut], TRUNCATED_MONTH)
    assert summary.accepted is (cut == len(body))
    assert summary.rows == (rows if cut == len(body) else 0)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_file_of_the_wrong_schema_is_rejected_naming_the_difference(zone_csv, data):
    table = generate_month(EMPTY_MONTH, 50, 1, zone_csv)
    dropped = data.draw(st.sampled_from(table.column_names))
    summary = summarize_trip_file(parquet_bytes(table.drop_columns([dropped])), EMPTY_MONTH)
    assert not summary.accepted and summary.unreadable is None
    assert any(dropped in difference for difference in summary.differences)
