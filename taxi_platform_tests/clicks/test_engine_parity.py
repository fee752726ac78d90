"""Engine parity for the Gold marts: the Spark engine (spark-submit in local mode, Pipes)
publishes exactly the rows the default engine (DuckDB) published for the same week of Silver,
peak hours in the business time zone included, both with Silver staged on the driver (the local
default) and on the production path, Silver read from the session's moto S3 through `s3a://`
and the result written back with hadoop-aws's magic committer. One Spark run per mode."""

import dagster as dg
import pandas as pd
import pytest

from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.resources.engine import EngineResource
from taxi_platform_tests.clicks.conftest import WEEK, WEEK_END, published, week_marts
from taxi_platform_tests.zones.conftest import assert_nothing_staged_or_left, s3a_spark


@pytest.fixture(scope="module")
def duckdb_rows(week_run, gold_db) -> dict[str, pd.DataFrame]:
    """The week's marts as the DuckDB run published them, read before any Spark run."""
    return published(gold_db, WEEK[0], WEEK_END)


def assert_spark_publishes(result, gold_db, duckdb_rows) -> None:
    assert result.success
    spark_rows = published(gold_db, WEEK[0], WEEK_END)
    for table in MART_NAMES:
        assert len(spark_rows[table]) > 0, table
        pd.testing.assert_frame_equal(spark_rows[table], duckdb_rows[table], check_exact=True)
    ran = result.asset_materializations_for_node(gold_marts.op.name)[0].metadata
    assert ran["engine"].value == "spark" and ran["spark_master"].value == "local[2]"
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_spark_publishes_the_marts_of_duckdb(duckdb_rows, resources, gold_db):
    spark = {**resources, "engine": EngineResource(engine="spark")}
    result = week_marts(spark, dg.DagsterInstance.ephemeral())
    assert_spark_publishes(result, gold_db, duckdb_rows)


def test_spark_over_s3a_publishes_the_marts_of_duckdb(
    duckdb_rows, resources, gold_db, lake, spark_jars_dir, tmp_path
):
    engine = {"engine": EngineResource(engine="spark"), "spark": s3a_spark("local[2]", tmp_path)}
    result = week_marts({**resources, **engine}, dg.DagsterInstance.ephemeral())
    assert_spark_publishes(result, gold_db, duckdb_rows)
    assert_nothing_staged_or_left(tmp_path, lake)
