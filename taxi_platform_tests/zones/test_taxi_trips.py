"""`taxi_trips` partitions over the lake's files (moto S3) and the arrival sensor's cursor."""

import dagster as dg
import pyarrow.compute as pc
import pytest

from taxi_platform.defs.zones.taxi_trips import taxi_trips, taxi_trips_arrivals
from taxi_platform.defs.zones.trip_files import month_bounds, trip_key
from taxi_platform_dev.domains.zones.simulator import generate_month, upload_month
from taxi_platform_tests.support import checks, metadata


def _materialize(resources, month: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [taxi_trips], partition_key=f"{month}-01", resources=resources, raise_on_error=False
    )


def test_a_partition_records_and_validates_its_file(resources, lake, model_months_in_lake):
    table = model_months_in_lake["2023-01"]
    result = _materialize(resources, "2023-01")
    assert result.success
    month = metadata(result, taxi_trips)
    head = lake.get_client().head_object(Bucket=lake.bucket, Key=trip_key("2023-01"))
    start, end = month_bounds("2023-01")
    pickup = table.column("tpep_pickup_datetime")
    inside = pc.sum(pc.and_(pc.greater_equal(pickup, start), pc.less(pickup, end))).as_py()
    assert month["dagster/row_count"] == table.num_rows
    assert month["size_bytes"] == head["ContentLength"]
    assert month["etag"] == head["ETag"].strip('"')
    assert month["schema_variant"] == "2023-01"
    assert month["pickups_outside_month"] == table.num_rows - inside > 0
    assert {name: c.passed for name, c in checks(result).items()} == {
        "tlc_schema": True,
        "pickups_in_month": True,
    }


@pytest.mark.parametrize(
    "month,content,failing,run_fails",
    [
        ("2024-05", "2024-05", "tlc_schema", True),  # blocking: the run stops
        ("2026-08", "2026-09", "pickups_in_month", False),  # September filed as August: warns
    ],
)
def test_checks_fail_on_a_wrong_file(resources, lake, zone_csv, month, content, failing, run_fails):
    table = generate_month(content, 2_000, 5, zone_csv)
    if failing == "tlc_schema":
        table = table.drop_columns(["total_amount"])
    upload_month(lake.get_client(), lake.bucket, table, month)
    try:
        result = _materialize(resources, month)
    finally:
        lake.get_client().delete_object(Bucket=lake.bucket, Key=trip_key(month))
    evaluations = checks(result)
    assert {name for name, c in evaluations.items() if not c.passed} == {failing}
    assert result.success is not run_fails
    if failing == "tlc_schema":
        assert evaluations[failing].metadata["differences"].value == ["missing total_amount double"]
    else:
        assert evaluations[failing].severity == dg.AssetCheckSeverity.WARN


def test_a_missing_file_is_a_clear_error(resources, lake):
    result = _materialize(resources, "2010-03")
    assert not result.success
    message = result.failure_data_for_node(taxi_trips.op.name).error.message
    assert f"s3://{lake.bucket}/raw/nyc_taxi/yellow_tripdata_2010-03.parquet does not exist" in (
        message
    )


def test_the_sensor_requests_each_new_or_changed_month_once(lake, model_tables):
    def tick(cursor: str | None) -> tuple[list[str], str]:
        context = dg.build_sensor_context(cursor=cursor, resources={"lake": lake})
        result = taxi_trips_arrivals(context)
        return [r.partition_key for r in result.run_requests], result.cursor

    _, cursor = tick(None)  # whatever other tests left in the lake
    assert tick(cursor)[0] == []
    client = lake.get_client()
    small = model_tables["2026-09"].slice(0, 500)
    upload_month(client, lake.bucket, small, "2024-02")
    requested, cursor = tick(cursor)
    assert requested == ["2024-02-01"]
    assert tick(cursor)[0] == []
    upload_month(client, lake.bucket, small.slice(0, 400), "2024-02")  # TLC re-publishes
    requested, cursor = tick(cursor)
    assert requested == ["2024-02-01"]
    upload_month(client, lake.bucket, small, "2027-01")  # not a complete month yet
    try:
        requested, cursor = tick(cursor)
        assert requested == [] and "2027-01" not in cursor
    finally:
        client.delete_object(Bucket=lake.bucket, Key=trip_key("2027-01"))
