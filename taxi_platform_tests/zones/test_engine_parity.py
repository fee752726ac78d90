"""Engine parity for the zone models: the Spark engine (spark-submit in local mode, Pipes)
on the production path, reading the TLC months from the session's moto S3 and writing back
through `s3a://` with hadoop-aws's magic committer, publishes exactly the tables the default
engine (DuckDB) published from the same months. One Spark run per session; the DuckDB run
is the shared `local_run`. (The marts' parity test covers Spark's staged inputs and s3a.)"""

from taxi_platform.defs.zones.model_sql import FILTERS
from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.resources.engine import EngineResource
from taxi_platform_tests.support import keys_of, metadata
from taxi_platform_tests.zones.conftest import (
    MODEL_MONTHS,
    assert_nothing_staged_or_left,
    materialize_models,
    published_tables,
    s3a_spark,
)

COUNTS = ("input_rows", "valid_rows", *(f"dropped_{name}" for name in FILTERS))


def test_spark_over_s3a_publishes_the_tables_of_duckdb(
    local_run, resources, lake, postgres_db, spark_jars_dir, tmp_path
):
    duckdb_result, (duckdb_expected, duckdb_adjacency) = local_run
    engine = {"engine": EngineResource(engine="spark"), "spark": s3a_spark("local[2]", tmp_path)}
    result = materialize_models({**resources, **engine}, sorted(MODEL_MONTHS))
    assert result.success
    spark_expected, spark_adjacency = published_tables(postgres_db)
    assert len(spark_expected) > 0 and len(spark_adjacency) > 0
    assert spark_expected.equals(duckdb_expected)
    assert spark_adjacency == duckdb_adjacency
    assert_nothing_staged_or_left(tmp_path, lake)
    for key in keys_of(zone_models):
        ran, baseline = metadata(result, key), metadata(duckdb_result, key)
        assert (ran["engine"], baseline["engine"]) == ("spark", "duckdb")
        assert ran["spark_master"] == "local[2]"
        assert {c: ran[c] for c in COUNTS} == {c: baseline[c] for c in COUNTS}
        assert ran["dagster/row_count"] == baseline["dagster/row_count"]
