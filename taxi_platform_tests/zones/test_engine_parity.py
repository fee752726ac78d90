"""Engine parity for the zone models: the Spark engine (spark-submit in local mode, Pipes,
staged inputs) publishes exactly the tables the default engine (DuckDB) published from the
same trip months. One Spark run per session; the DuckDB run is the shared `local_run`."""

from taxi_platform.defs.zones.model_sql import FILTERS
from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.resources.engine import EngineResource
from taxi_platform_tests.support import keys_of, metadata
from taxi_platform_tests.zones.conftest import MODEL_MONTHS, materialize_models, published_tables

COUNTS = ("input_rows", "valid_rows", *(f"dropped_{name}" for name in FILTERS))


def test_spark_publishes_the_tables_of_duckdb(local_run, resources, postgres_db):
    duckdb_result, (duckdb_expected, duckdb_adjacency) = local_run
    spark = {**resources, "engine": EngineResource(engine="spark")}
    result = materialize_models(spark, sorted(MODEL_MONTHS))
    assert result.success
    spark_expected, spark_adjacency = published_tables(postgres_db)
    assert len(spark_expected) > 0 and len(spark_adjacency) > 0
    assert spark_expected.equals(duckdb_expected)
    assert spark_adjacency == duckdb_adjacency
    for key in keys_of(zone_models):
        ran, baseline = metadata(result, key), metadata(duckdb_result, key)
        assert (ran["engine"], baseline["engine"]) == ("spark", "duckdb")
        assert ran["spark_master"] == "local[2]"
        assert {c: ran[c] for c in COUNTS} == {c: baseline[c] for c in COUNTS}
        assert ran["dagster/row_count"] == baseline["dagster/row_count"]
