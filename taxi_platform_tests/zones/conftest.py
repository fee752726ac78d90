"""Fixtures of the zone-model tests: generated trip months in the lake, and the tables one
materialization on the default engine (DuckDB) publishes (shared by the model, parity and
cluster tests, so Spark is compared with it without a second DuckDB run)."""

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from taxi_platform.resources.spark import SPARK_OUTPUT_PREFIX, SparkResource
from taxi_platform_dev.domains.zones.simulator import generate_month, upload_month

# Two months in two TLC schema variants (2023-01: int64 IDs, lower-case airport_fee).
MODEL_MONTHS = {"2023-01": (20_000, 1), "2026-09": (25_000, 2)}


@pytest.fixture(scope="session")
def model_tables(zone_csv) -> dict[str, pa.Table]:
    return {
        month: generate_month(month, rows, seed, zone_csv)
        for month, (rows, seed) in MODEL_MONTHS.items()
    }


@pytest.fixture(scope="session")
def model_months_in_lake(lake, model_tables) -> dict[str, pa.Table]:
    for month, table in model_tables.items():
        upload_month(lake.get_client(), lake.bucket, table, month)
    return model_tables


def published_tables(postgres_db) -> tuple[pd.DataFrame, dict[int, list[int]]]:
    expected = postgres_db.fetch_frame(
        "SELECT pickup_zone_id, pickup_hour, expected_pickups, total_pickups, days_in_window "
        "FROM expected_pickups ORDER BY pickup_zone_id, pickup_hour"
    )
    rows = postgres_db.fetch_all("SELECT zone_id, adjacent_zone_ids FROM adjacent_zones")
    return expected, {r["zone_id"]: r["adjacent_zone_ids"] for r in rows}


def materialize_models(resources: dict, months: list[str]) -> dg.ExecuteInProcessResult:
    from taxi_platform.defs.zones.taxi_zones import taxi_zones
    from taxi_platform.defs.zones.zone_models import MODEL_CHECKS, zone_models

    return dg.materialize(
        [taxi_zones, zone_models, *MODEL_CHECKS],
        resources=resources,
        run_config={"ops": {zone_models.op.name: {"config": {"months": months}}}},
        selection=dg.AssetSelection.assets(zone_models) | dg.AssetSelection.assets(taxi_zones),
    )


@pytest.fixture(scope="session")
def local_run(resources, postgres_db, model_months_in_lake):
    """One materialization of taxi_zones + both models over `MODEL_MONTHS` on the session's
    wiring (engine: DuckDB), and the tables it published."""
    result = materialize_models(resources, sorted(MODEL_MONTHS))
    assert result.success
    return result, published_tables(postgres_db)


def small_spark(master: str, tmp_path, input_mode: str, **kwargs) -> SparkResource:
    """Spark with small memory for a 2-core machine, staging (if at all) under `tmp_path`."""
    return SparkResource(
        master=master,
        input_mode=input_mode,
        staging_dir=str(tmp_path / "staging"),
        driver_memory="1g",
        executor_memory="768m",
        shuffle_partitions=4,
        **kwargs,
    )


def s3a_spark(master: str, tmp_path, **kwargs) -> SparkResource:
    """Spark in the production path's mode: inputs and outputs through `s3a://` (the jars of
    `taxi-platform spark jars` on the class path)."""
    return small_spark(master, tmp_path, "s3a", **kwargs)


def assert_nothing_staged_or_left(tmp_path, lake) -> None:
    """No input was copied to the driver, and the job's s3a output (with the committer's
    `__magic` folders) is gone once published."""
    assert not (tmp_path / "staging" / "staged").exists()
    assert lake.list_keys(SPARK_OUTPUT_PREFIX + "/") == []
