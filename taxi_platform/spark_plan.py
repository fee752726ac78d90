"""A SQL model's plan (`resources/engine.py: spark_plan`) built on a SparkSession: both Spark paths.

Why one module: the spark-submit job (`spark/jobs/sql_model.py`, a JVM per run) and the Spark
Connect path (`resources/spark_connect.py`, a warm server) must build the same relations from
the same plan, so that they publish the same tables. Each then hands the outputs back its own
way (Parquet files; Arrow over gRPC).

Works on a classic and on a Connect session alike: every relation is named by a temporary
view as soon as it is built, because a view keeps the plan analysed when it was made. A
Connect session analyses `spark.sql(...)` lazily; an unnamed per-file SELECT over
`source_file` would otherwise read whichever file was registered last.

Imports nothing beyond the standard library: spark-submit ships this file beside the job
(`--py-files`), where the project itself need not be installed.
"""

from __future__ import annotations

from typing import Any

# Timestamps in UTC, written as Parquet TIMESTAMP_MICROS (UTC-adjusted), not legacy INT96.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def build_relations(spark: Any, plan: dict) -> list[str]:
    """The plan's inputs and steps as cached temporary views; their names, to `release`.

    Each input file is read by its SELECT over the view `source_file` into a view of its own,
    and the files' views are unioned in order into the input's view."""
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    cached = []
    for source in plan["inputs"]:
        parts = []
        for index, part in enumerate(source["parts"]):
            spark.read.parquet(part["uri"]).createOrReplaceTempView("source_file")
            name = f"{source['view']}__file{index}"
            spark.sql(part["sql"]).createOrReplaceTempView(name)
            parts.append(spark.table(name))
        union = parts[0]
        for part in parts[1:]:
            union = union.union(part)
        union.createOrReplaceTempView(source["view"])
        cached.append(source["view"])
    for step in plan["steps"]:
        spark.sql(step["sql"]).createOrReplaceTempView(step["name"])
        cached.append(step["name"])
    for name in cached:
        spark.catalog.cacheTable(name)
    return cached


def release(spark: Any, cached: list[str]) -> None:
    """Uncache the views of `build_relations`: a warm server outlives the run."""
    for name in cached:
        spark.catalog.uncacheTable(name)
