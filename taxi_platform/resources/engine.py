"""The engine that runs the SQL models (`taxi_platform/sql_models.py`): DuckDB or Spark.

Why a choice: a small company's data (a few million trips a month, tens of thousands of
click events a day) fits one machine by orders of magnitude, where DuckDB answers in well
under a second and Spark spends 20-40 s starting a JVM and scheduling tiny jobs. Spark stays
for when the data outgrows one machine. `TAXI_ENGINE` chooses: `duckdb` (the local stack's
and CI's default) or `spark` (the `aws` wiring's default: the cluster of `SparkResource`).

- duckdb: in this process; inputs read straight from the lake's S3 (`connect_s3`: httpfs
  and boto3's credentials and endpoint) or local paths; outputs as Arrow tables.
- spark: the files transpiled to Spark SQL, as a plan whose relations
  `taxi_platform/spark_plan.py` builds. With `SparkResource.remote` (`TAXI_SPARK_REMOTE`) in
  a session on that warm Spark Connect server, outputs back as Arrow
  (`resources/spark_connect.py`); else by `spark/jobs/sql_model.py` through
  `SparkResource.submit` (a JVM per run: Pipes, local mode or a cluster), outputs read back
  with `SparkResource.read_output`. Inputs staged or over s3a either way.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import dagster as dg
import pyarrow as pa
from pydantic import Field

from taxi_platform import spark_plan as plan_module
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.spark import SparkResource
from taxi_platform.settings import choice
from taxi_platform.sql_models import SOURCE_TABLE, SqlModel, sql_literal, to_spark

SPARK_JOB = "sql_model.py"


class ModelRun(NamedTuple):
    tables: dict[str, pa.Table]
    metadata: dict[str, Any]  # the same for every asset the model feeds


def _input_relation(model: SqlModel, index: int) -> str:
    """DuckDB: the union of an input's per-file SELECTs, each over its own file."""
    parts = [
        f"SELECT * FROM (WITH {SOURCE_TABLE} AS (SELECT * FROM read_parquet({sql_literal(uri)}))"
        f" {statement})"
        for uri, statement in model.file_statements(model.inputs[index])
    ]
    return "\nUNION ALL\n".join(parts)


def run_duckdb(connection: Any, model: SqlModel) -> dict[str, pa.Table]:
    """The model on a DuckDB connection: inputs and steps as temporary tables (each input
    is read once), outputs as Arrow tables. Timestamps come back in UTC."""
    connection.execute("SET TimeZone = 'UTC'")
    for index, source in enumerate(model.inputs):
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {source.view} AS {_input_relation(model, index)}"
        )
    for step in model.steps:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {step} AS {model.statement(step)}")
    return {name: connection.table(name).to_arrow_table() for name in model.outputs}


def spark_plan(
    model: SqlModel, uris: Mapping[str, str], output: str | None = None, assets: Sequence[str] = ()
) -> dict:
    """The plan `taxi_platform/spark_plan.py` builds; `uris` maps the model's URIs to Spark's.
    `output` and `assets`: where the spark-submit job writes, and whom it reports to."""
    return {
        "model": model.name,
        "inputs": [
            {
                "view": source.view,
                "parts": [
                    {"uri": uris[uri], "sql": to_spark(statement)}
                    for uri, statement in model.file_statements(source)
                ],
            }
            for source in model.inputs
        ],
        "steps": [{"name": step, "sql": to_spark(model.statement(step))} for step in model.steps],
        "outputs": list(model.outputs),
        "output": output,
        "assets": list(assets),
    }


class EngineResource(dg.ConfigurableResource):
    """Which engine runs the SQL models, and DuckDB's share of this machine."""

    # A plain str (not a Literal) so that wiring can pass dg.EnvVar("TAXI_ENGINE"): checked
    # where it is used, with an error naming the variable.
    engine: str = Field(default="duckdb", description="`duckdb` or `spark` (module docstring).")
    duckdb_threads: int | None = Field(default=None, description="None: every core.")
    duckdb_memory_limit: str | None = Field(default=None, description="e.g. 4GB; None: 80 %.")

    @property
    def name(self) -> str:
        return choice("TAXI_ENGINE", self.engine)

    def run(
        self,
        context: dg.AssetExecutionContext,
        model: SqlModel,
        lake: LakeResource,
        spark: SparkResource,
    ) -> ModelRun:
        """Run `model` on the chosen engine; its outputs and the engine's metadata."""
        if self.name == "spark":
            return self._run_spark(context, model, lake, spark)
        return self._run_duckdb(context, model)

    def _run_duckdb(self, context: dg.AssetExecutionContext, model: SqlModel) -> ModelRun:
        import duckdb

        from taxi_platform.resources.duckdb_s3 import connect_s3  # only this engine needs it

        started = time.monotonic()
        connection = connect_s3()
        try:
            if self.duckdb_threads:
                connection.execute(f"SET threads = {int(self.duckdb_threads)}")
            if self.duckdb_memory_limit:
                connection.execute(f"SET memory_limit = {sql_literal(self.duckdb_memory_limit)}")
            ready = time.monotonic()
            tables = run_duckdb(connection, model)
        finally:
            connection.close()
        seconds = time.monotonic() - ready
        context.log.info(f"{model.name} on DuckDB {duckdb.__version__}: {seconds:.2f} s")
        return ModelRun(
            tables,
            {
                "engine": "duckdb",
                "engine_start_seconds": round(ready - started, 3),
                "engine_compute_seconds": round(seconds, 3),
                "duckdb_version": duckdb.__version__,
            },
        )

    def _run_spark(
        self,
        context: dg.AssetExecutionContext,
        model: SqlModel,
        lake: LakeResource,
        spark: SparkResource,
    ) -> ModelRun:
        client = lake.get_client()
        uris = {}
        for uri in model.input_uris:
            if uri.startswith("s3://"):
                bucket, _, key = uri.removeprefix("s3://").partition("/")
                uris[uri] = spark.input_uri(client, bucket, key)
            else:
                uris[uri] = uri
        if spark.remote:
            return self._run_connect(context, model, spark, spark_plan(model, uris))
        run_id = context.run.run_id
        output = spark.output_uri(lake.bucket, model.name, run_id)
        assets = [key.to_user_string() for key in context.selected_asset_keys]
        plan = spark_plan(model, uris, output, assets)
        plan_file = spark.work_dir("plans") / f"{model.name}-{run_id}.json"
        plan_file.write_text(json.dumps(plan, indent=1))
        started = time.monotonic()
        try:
            invocation = spark.submit(
                context, SPARK_JOB, [f"--plan={plan_file}"], py_files=[plan_module.__file__]
            )
            submitted = time.monotonic()
            tables = {name: spark.read_output(client, f"{output}/{name}") for name in model.outputs}
        finally:
            spark.discard_output(client, output)
            os.unlink(plan_file)
        reported = [dict(r.metadata) for r in invocation.get_results()]
        job = {key: value.value for key, value in reported[0].items()} if reported else {}
        compute = job.get("spark_compute_seconds", 0.0)
        return ModelRun(
            tables,
            {
                "engine": "spark",
                "engine_start_seconds": round(submitted - started - compute, 3),
                "engine_compute_seconds": compute,
                **job,
            },
        )

    def _run_connect(
        self, context: dg.AssetExecutionContext, model: SqlModel, spark: SparkResource, plan: dict
    ) -> ModelRun:
        from taxi_platform.resources.spark_connect import run_plan  # the Connect client

        conf = {"spark.sql.shuffle.partitions": str(spark.shuffle_partitions)}
        tables, job = run_plan(spark.remote, plan, conf)
        context.log.info(
            f"{model.name} on Spark Connect {job['spark_remote']} ({job['spark_master']}): "
            f"{job['spark_compute_seconds']:.2f} s"
        )
        return ModelRun(
            tables,
            {
                "engine": "spark",
                "engine_start_seconds": job["spark_session_seconds"],
                "engine_compute_seconds": job["spark_compute_seconds"],
                **job,
            },
        )
