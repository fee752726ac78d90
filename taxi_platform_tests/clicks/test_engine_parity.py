"""Engine parity for the Gold marts: the Spark engine (spark-submit in local mode, Pipes) on
the production path, the week's Silver read from the session's moto S3 through `s3a://` and
the result written back with hadoop-aws's magic committer, publishes exactly the rows the
default engine (DuckDB) published for the same week, peak hours in the business time zone
included. One Spark run per session; staged inputs are the zone models' parity test's."""

import dagster as dg
import pandas as pd

from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.resources.engine import EngineResource
from taxi_platform_tests.clicks.conftest import WEEK, WEEK_END, published, week_marts
from taxi_platform_tests.zones.conftest import assert_nothing_staged_or_left, s3a_spark


def test_spark_over_s3a_publishes_the_marts_of_duckdb(
    week_run, resources, gold_db, lake, spark_jars_dir, tmp_path
):
    duckdb_rows = published(gold_db, WEEK[0], WEEK_END)
    engine = {"engine": EngineResource(engine="spark"), "spark": s3a_spark("local[2]", tmp_path)}
    result = week_marts({**resources, **engine}, dg.DagsterInstance.ephemeral())
    assert result.success
    spark_rows = published(gold_db, WEEK[0], WEEK_END)
    for table in MART_NAMES:
        assert len(spark_rows[table]) > 0, table
        pd.testing.assert_frame_equal(spark_rows[table], duckdb_rows[table], check_exact=True)
    ran = result.asset_materializations_for_node(gold_marts.op.name)[0].metadata
    assert ran["engine"].value == "spark" and ran["spark_master"].value == "local[2]"
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert_nothing_staged_or_left(tmp_path, lake)  # Silver read, and results written, over s3a
