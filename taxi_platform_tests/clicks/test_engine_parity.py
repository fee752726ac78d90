"""Engine parity for the Gold marts: the Spark engine publishes exactly the rows the default
engine (DuckDB) published for the same week of Silver, peak hours in the business time zone
included: by spark-submit in local mode (Pipes, staged Silver), and in a session on the
session's warm Spark Connect server (the same staged Silver, tables back as Arrow). One run
per path, Connect first; DuckDB's rows are read once, before either."""

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


@pytest.fixture(scope="module")
def duckdb_rows(week_run, gold_db) -> dict[str, pd.DataFrame]:
    return published(gold_db, WEEK[0], WEEK_END)


def spark_marts(resources: dict, gold_db, duckdb_rows, spark: SparkResource | None = None):
    """The week's marts on the Spark engine into emptied days; DuckDB's rows exactly. The
    metadata of the run's materialization."""
    for table in KEYS:  # what is there now, Spark published
        query = sql.SQL("DELETE FROM {} WHERE event_date >= %s AND event_date < %s")
        gold_db.execute(query.format(sql.Identifier(table)), [WEEK[0], WEEK_END])
    engine = {"engine": EngineResource(engine="spark"), **({"spark": spark} if spark else {})}
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


def test_spark_connect_publishes_the_marts_of_duckdb(
    resources, gold_db, duckdb_rows, spark_connect, tmp_path
):
    spark = SparkResource(input_mode="stage", staging_dir=str(tmp_path), remote=spark_connect)
    ran = spark_marts(resources, gold_db, duckdb_rows, spark)
    assert ran["spark_remote"].value == spark_connect


def test_spark_publishes_the_marts_of_duckdb(resources, gold_db, duckdb_rows):
    assert "spark_remote" not in spark_marts(resources, gold_db, duckdb_rows)
