"""Engine parity for the zone models: the Spark engine publishes exactly the tables the
default engine (DuckDB) published from the same months: on the session's warm Spark Connect
server, reading the months from the session's moto S3 through `s3a://` and handing the tables
back as Arrow; and by spark-submit in local mode (Pipes) with the months staged on the driver
(`TAXI_SPARK_INPUT_MODE=stage`, the local wiring's default). Connect runs first: spark-submit
after it shows the client left this process's environment alone. The DuckDB run is the shared
`local_run`. spark-submit over `s3a://` with hadoop-aws's magic committer is covered by the
zone models on a standalone cluster (`test_zone_models_cluster.py`) and the Gold marts on
local Spark (`clicks/test_engine_parity.py`): one Spark run per path and place, none twice."""

import os

from taxi_platform.defs.zones.model_sql import FILTERS
from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.spark import CONNECT_VARIABLES, SPARK_OUTPUT_PREFIX
from taxi_platform_tests.support import keys_of, metadata
from taxi_platform_tests.zones.conftest import (
    MODEL_MONTHS,
    assert_nothing_staged_or_left,
    materialize_models,
    published_tables,
    s3a_spark,
    small_spark,
)

COUNTS = ("input_rows", "valid_rows", *(f"dropped_{name}" for name in FILTERS))


def assert_spark_published_the_tables_of_duckdb(local_run, resources, postgres_db, spark):
    """One materialization on the Spark engine with `spark` into emptied tables; the DuckDB
    run's tables and counts exactly. Returns the Spark run's metadata of each model."""
    duckdb_result, (duckdb_expected, duckdb_adjacency) = local_run
    for table in ("expected_pickups", "adjacent_zones"):  # what is there now, Spark published
        postgres_db.execute(f"DELETE FROM {table}")
    engine = {"engine": EngineResource(engine="spark"), "spark": spark}
    result = materialize_models({**resources, **engine}, sorted(MODEL_MONTHS))
    assert result.success
    spark_expected, spark_adjacency = published_tables(postgres_db)
    assert len(spark_expected) > 0 and len(spark_adjacency) > 0
    assert spark_expected.equals(duckdb_expected)
    assert spark_adjacency == duckdb_adjacency
    ran = [metadata(result, key) for key in keys_of(zone_models)]
    for model, key in zip(ran, keys_of(zone_models), strict=True):
        baseline = metadata(duckdb_result, key)
        assert (model["engine"], baseline["engine"]) == ("spark", "duckdb")
        assert model["spark_master"] == "local[2]"
        assert {c: model[c] for c in COUNTS} == {c: baseline[c] for c in COUNTS}
        assert model["dagster/row_count"] == baseline["dagster/row_count"]
    return ran


def test_spark_connect_over_s3a_publishes_the_tables_of_duckdb(
    local_run, resources, lake, postgres_db, spark_connect, tmp_path
):
    spark = s3a_spark("local[2]", tmp_path, remote=spark_connect)
    ran = assert_spark_published_the_tables_of_duckdb(local_run, resources, postgres_db, spark)
    assert all(model["spark_remote"] == spark_connect for model in ran)
    assert_nothing_staged_or_left(tmp_path, lake)
    # The client left this process as it was: the spark-submit run below is not a client.
    assert not set(CONNECT_VARIABLES) & set(os.environ)


def test_spark_on_staged_months_publishes_the_tables_of_duckdb(
    local_run, resources, lake, postgres_db, tmp_path
):
    spark = small_spark("local[2]", tmp_path, "stage")
    ran = assert_spark_published_the_tables_of_duckdb(local_run, resources, postgres_db, spark)
    assert all("spark_remote" not in model for model in ran)  # spark-submit
    staged = sorted(p.name for p in (tmp_path / "staging" / "staged").rglob("*.parquet"))
    assert len(staged) == len(MODEL_MONTHS), staged  # one copy per month, on the driver
    assert lake.list_keys(SPARK_OUTPUT_PREFIX + "/") == []  # outputs stayed local
