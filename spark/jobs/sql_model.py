"""Run one SQL model (`taxi_platform/sql_models.py`) on Spark: the cluster engine.

    spark-submit sql_model.py --plan <plan.json>

The plan is written by the Dagster process (`taxi_platform/resources/engine.py`), already in
Spark SQL (sqlglot transpiles the model's DuckDB files there, so this job needs nothing but
pyspark, dagster-pipes and `spark_plan.py`, which SparkResource ships with it):
    {"inputs": [{"view": "trips", "parts": [{"uri": "...", "sql": "SELECT ... FROM source_file"}]}],
     "steps": [{"name": "classified", "sql": "SELECT ..."}, ...],
     "outputs": ["expected_pickups", ...], "output": "<folder or s3a://...>", "assets": [...]}
The relations are built by `spark_plan.py` (`taxi_platform/spark_plan.py`, shipped beside
this job with `--py-files`; the Spark Connect path builds them with the same module), and
each output is written as one Parquet file in `<output>/<name>`. Runs under Dagster Pipes
(metadata back to the `assets`) and equally under a plain spark-submit (Pipes is then a no-op).
"""

import argparse
import json
import time

from dagster_pipes import open_dagster_pipes
from pyspark.sql import SparkSession
from spark_plan import build_relations


def write_outputs(spark: SparkSession, plan: dict) -> dict[str, int]:
    """Rows per output, each written as one Parquet file."""
    rows = {}
    for name in plan["outputs"]:
        frame = spark.table(name).coalesce(1)
        frame.write.mode("overwrite").parquet(f"{plan['output']}/{name}")
        rows[name] = spark.table(name).count()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True, help="JSON plan (module docstring)")
    args = parser.parse_args()
    with open(args.plan) as handle:
        plan = json.load(handle)
    with open_dagster_pipes() as pipes:
        started = time.monotonic()
        spark = SparkSession.builder.getOrCreate()
        ready = time.monotonic()
        try:
            build_relations(spark, plan)
            rows = write_outputs(spark, plan)
            metadata = {
                "spark_session_seconds": round(ready - started, 3),
                "spark_compute_seconds": round(time.monotonic() - ready, 3),
                "spark_master": spark.sparkContext.master,
                "spark_version": spark.version,
            }
            for asset in plan.get("assets", []):
                pipes.report_asset_materialization(asset_key=asset, metadata=metadata)
            pipes.log.info(f"{plan.get('model', 'model')}: rows {rows}")
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
