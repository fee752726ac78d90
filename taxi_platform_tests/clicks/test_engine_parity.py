"""Engine parity for the Gold marts: the Spark engine (spark-submit in local mode, Pipes,
staged Silver) publishes exactly the rows the default engine (DuckDB) published for the same
week of Silver, peak hours in the business time zone included. One Spark run per session."""

import dagster as dg
import pandas as pd

from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.resources.engine import EngineResource
from taxi_platform_tests.clicks.conftest import WEEK, WEEK_END, published, week_marts


def test_spark_publishes_the_marts_of_duckdb(week_run, resources, gold_db):
    duckdb_rows = published(gold_db, WEEK[0], WEEK_END)
    spark = {**resources, "engine": EngineResource(engine="spark")}
    result = week_marts(spark, dg.DagsterInstance.ephemeral())
    assert result.success
    spark_rows = published(gold_db, WEEK[0], WEEK_END)
    for table in MART_NAMES:
        assert len(spark_rows[table]) > 0, table
        pd.testing.assert_frame_equal(spark_rows[table], duckdb_rows[table], check_exact=True)
    ran = result.asset_materializations_for_node(gold_marts.op.name)[0].metadata
    assert ran["engine"].value == "spark" and ran["spark_master"].value == "local[2]"
    assert all(c.passed for c in result.get_asset_check_evaluations())
