"""The Spark engine on a Spark Connect server: a warm session instead of a JVM per run.

Why: at this platform's sizes Spark's cost is fixed, ~6 s of JVM and session start per
spark-submit and then seconds of job scheduling. A Connect server (`TAXI_SPARK_REMOTE`:
started once by `taxi-platform dev` or `stack up` when the engine is spark, by the test
session, or a cluster's own) keeps the JVM warm. Each run opens a session of its own (its
temporary views are private to it), builds the plan the spark-submit job builds
(`taxi_platform/spark_plan.py`) and takes the outputs back as Arrow over gRPC: no files.

The server reads the plan's inputs itself: `s3a://` URIs (the server then needs hadoop-aws
and the lake's endpoint and credentials, as `taxi-platform dev` gives it) or staged local
paths (a server on this machine only).

Not pyspark's own `SPARK_REMOTE`: that variable silently turns every SparkSession of the
process into a Connect client, spark-submit's jobs included; the platform's setting is read
where it is meant, and spark-submit runs without pyspark's Connect variables
(`CONNECT_VARIABLES`, dropped by `SparkResource.submit`).
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from taxi_platform.settings import ConfigError
from taxi_platform.spark_plan import build_relations, release

DEFAULT_PORT = 15002  # Spark Connect's


def server_address(url: str) -> tuple[str, int]:
    """Host and port of `sc://host:port/;params` (the params may hold a token: never shown)."""
    parts = urlsplit(url.split("/;", 1)[0])
    if parts.scheme != "sc" or not parts.hostname:
        raise ConfigError("TAXI_SPARK_REMOTE is not a Spark Connect URL: use sc://host:15002")
    return parts.hostname, parts.port or DEFAULT_PORT


def shown(url: str) -> str:
    """The URL without its parameters, for logs and metadata."""
    host, port = server_address(url)
    return f"sc://{host}:{port}"


def connect(url: str, conf: dict[str, str]) -> Any:
    """A new session on the server; one line naming the variable when nothing listens.

    Checked with a plain TCP connection first: pyspark's client retries an unavailable server
    with back-off for minutes before it gives up."""
    host, port = server_address(url)
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as error:
        raise ConfigError(
            f"TAXI_SPARK_REMOTE: no Spark Connect server answers on {host}:{port} "
            f"({type(error).__name__}): start one (`taxi-platform stack up` with "
            "TAXI_ENGINE=spark), or unset TAXI_SPARK_REMOTE to spark-submit each run"
        ) from None
    # Connect's own class: pyspark.sql.SparkSession.builder.remote() would also set
    # SPARK_CONNECT_MODE_ENABLED in this process's environment, making every later
    # spark-submit job's session a Connect client without a URL.
    from pyspark.sql.connect.session import SparkSession

    session = SparkSession.builder.remote(url).create()
    for key, value in conf.items():
        session.conf.set(key, value)
    return session


def _nullable(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_list(kind):
        return pa.list_(pa.field(kind.value_field.name, _nullable(kind.value_type)))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _nullable(f.type)) for f in kind])
    return kind


def as_written(table: pa.Table) -> pa.Table:
    """Every field nullable, as a Parquet file Spark wrote reads back (Spark writes every
    column nullable): the same schema as the spark-submit path's outputs."""
    return table.cast(pa.schema([pa.field(f.name, _nullable(f.type)) for f in table.schema]))


def run_plan(url: str, plan: dict, conf: dict[str, str]) -> tuple[dict[str, pa.Table], dict]:
    """The plan's outputs as Arrow tables, and the metadata the spark-submit job reports
    (plus `spark_remote`)."""
    started = time.monotonic()
    session = connect(url, conf)
    ready = time.monotonic()
    try:
        cached = build_relations(session, plan)
        tables = {name: as_written(session.table(name).toArrow()) for name in plan["outputs"]}
        release(session, cached)
        metadata = {
            "spark_session_seconds": round(ready - started, 3),
            "spark_compute_seconds": round(time.monotonic() - ready, 3),
            "spark_master": session.conf.get("spark.master"),
            "spark_version": session.version,
            "spark_remote": shown(url),
        }
    finally:
        session.stop()
    return tables, metadata
