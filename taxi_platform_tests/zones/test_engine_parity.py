"""Engine parity for the zone models: the Spark engine (spark-submit in local mode, Pipes)
with the TLC months staged on the driver (`TAXI_SPARK_INPUT_MODE=stage`, the local wiring's
default) publishes exactly the tables the default engine (DuckDB) published from the same
months. One Spark run per session; the DuckDB run is the shared `local_run`. The production
path, `s3a://` with hadoop-aws's magic committer, is covered by the zone models on a standalone
cluster (`test_zone_models_cluster.py`) and the Gold marts on local Spark
(`clicks/test_engine_parity.py`): one Spark run per path and place, none twice."""

from taxi_platform.defs.zones.model_sql import FILTERS
from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.spark import SPARK_OUTPUT_PREFIX
from taxi_platform_tests.support import keys_of, metadata
from taxi_platform_tests.zones.conftest import (
    MODEL_MONTHS,
    materialize_models,
    published_tables,
    small_spark,
)

COUNTS = ("input_rows", "valid_rows", *(f"dropped_{name}" for name in FILTERS))


def test_spark_on_staged_months_publishes_the_tables_of_duckdb(
    local_run, resources, lake, postgres_db, tmp_path
):
    duckdb_result, (duckdb_expected, duckdb_adjacency) = local_run
    spark = small_spark("local[2]", tmp_path, "stage")
    engine = {"engine": EngineResource(engine="spark"), "spark": spark}
    result = materialize_models({**resources, **engine}, sorted(MODEL_MONTHS))
    assert result.success
    spark_expected, spark_adjacency = published_tables(postgres_db)
    assert len(spark_expected) > 0 and len(spark_adjacency) > 0
    assert spark_expected.equals(duckdb_expected)
    assert spark_adjacency == duckdb_adjacency
    staged = sorted(p.name for p in (tmp_path / "staging" / "staged").rglob("*.parquet"))
    assert len(staged) == len(MODEL_MONTHS), staged  # one copy per month, on the driver
    assert lake.list_keys(SPARK_OUTPUT_PREFIX + "/") == []  # outputs stayed local
    for key in keys_of(zone_models):
        ran, baseline = metadata(result, key), metadata(duckdb_result, key)
        assert (ran["engine"], baseline["engine"]) == ("spark", "duckdb")
        assert ran["spark_master"] == "local[2]"
        assert {c: ran[c] for c in COUNTS} == {c: baseline[c] for c in COUNTS}
        assert ran["dagster/row_count"] == baseline["dagster/row_count"]
