"""Engine parity for the Gold marts: the Spark engine publishes exactly the rows the default
engine (DuckDB) published for the same week of Silver, peak hours in the business time zone
included: by spark-submit in local mode (Pipes) on the production path, the week's Silver read
from the session's moto S3 through `s3a://` and the result written back with hadoop-aws's
magic committer; and in a session on the session's warm Spark Connect server (Silver staged,
tables back as Arrow). One run per path; DuckDB's rows are read once, before either; staged
spark-submit inputs are the zone models' parity test's."""

import dagster as dg
import pandas as pd
import pytest
from psycopg import sql

from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.spark import SparkResource
from taxi_platform_tests.clicks.conftest import WEEK, WEEK_END, published, week_marts
from taxi_platform_tests.clicks.reference_marts import KEYS
from taxi_platform_tests.zones.conftest import assert_nothing_staged_or_left, s3a_spark


@pytest.fixture(scope="module")
def duckdb_rows(week_run, gold_db) -> dict[str, pd.DataFrame]:
    return published(gold_db, WEEK[0], WEEK_END)


def spark_marts(resources: dict, gold_db, duckdb_rows, spark: SparkResource):
    """The week's marts on the Spark engine into emptied days; DuckDB's rows exactly. The
    metadata of the run's materialization."""
    for table in KEYS:  # what is there now, Spark published
        query = sql.SQL("DELETE FROM {} WHERE event_date >= %s AND event_date < %s")
        gold_db.execute(query.format(sql.Identifier(table)), [WEEK[0], WEEK_END])
    engine = {"engine": EngineResource(engine="spark"), "spark": spark}
    result = week_marts({**resources, **engine}, dg.DagsterInstance.ephemeral())
    assert result.success
    spark_rows = published(gold_db, WEEK[0], WEEK_END)
    for table in MART_NAMES:
        assert len(spark_rows[table]) > 0, table
        pd.testing.assert_frame_equal(spark_rows[table], duckdb_rows[table], check_exact=True)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    ran = result.asset_materializations_for_node(gold_marts.op.name)[0].metadata
    assert ran["engine"].value == "spark" and ran["spark_master"].value == "local[2]"
    return ran


def test_spark_over_s3a_publishes_the_marts_of_duckdb(
    resources, gold_db, duckdb_rows, lake, spark_jars_dir, tmp_path
):
    ran = spark_marts(resources, gold_db, duckdb_rows, s3a_spark("local[2]", tmp_path))
    assert "spark_remote" not in ran  # spark-submit
    assert_nothing_staged_or_left(tmp_path, lake)  # Silver read, and results written, over s3a


def test_spark_connect_publishes_the_marts_of_duckdb(
    resources, gold_db, duckdb_rows, spark_connect, tmp_path
):
    spark = SparkResource(input_mode="stage", staging_dir=str(tmp_path), remote=spark_connect)
    ran = spark_marts(resources, gold_db, duckdb_rows, spark)
    assert ran["spark_remote"].value == spark_connect
