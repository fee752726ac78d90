"""A Spark Connect server beside the local stack: the spark engine's warm session.

Why: a spark-submit per run starts a JVM and a SparkContext every time (~6 s, then seconds
of job scheduling); a Connect server pays that once. `stack up`, `dev` and `demo` start it
when the SQL models run on Spark here (`TAXI_ENGINE=spark`; DuckDB, the local default, needs
no JVM) and no server is configured already (`TAXI_SPARK_REMOTE`). It is registered with the
stack as `spark_connect`, so `stack env` exports its URL as `TAXI_SPARK_REMOTE` and
`stack down` stops it. The test session starts its own through `launch` (a fixture).

Its driver is configured as a spark-submit job's (`SparkResource.driver_conf`: master, memory,
log level; with `TAXI_SPARK_INPUT_MODE=s3a` the hadoop-aws jars and the lake's endpoint from
the stack's environment, credentials from the same environment), listening on 127.0.0.1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from taxi_platform.resources.spark import SparkResource, spark_environment, spark_submit_path
from taxi_platform_dev.local.processes import (
    await_ready,
    free_port,
    listening,
    pid_alive,
    spawn,
)
from taxi_platform_dev.local.stack import Stack

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
PROCESS_NAME = "spark_connect"
START_TIMEOUT = 300.0  # a loaded 2-core machine takes a minute or more to start the JVM


def server_command(spark: SparkResource, port: int, environ: Mapping[str, str]) -> list[str]:
    conf = {
        **spark.driver_conf(environ),
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
    }
    command = [spark_submit_path(), "--master", spark.master, "--class", SERVER_CLASS]
    command += ["--name", f"taxi_platform:{PROCESS_NAME}"]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return command


def url(port: int) -> str:
    return f"sc://127.0.0.1:{port}"


def launch(spark: SparkResource, log_path: Path, environ: Mapping[str, str]) -> tuple[int, int]:
    """Start a server in its own session; its PID and port once it listens."""
    port = free_port()
    env = spark_environment(spark.master, environ)
    process = spawn(server_command(spark, port, environ), log_path, env)
    await_ready(
        process,
        lambda: listening(port),
        START_TIMEOUT,
        f"the Spark Connect server did not listen on 127.0.0.1:{port} within "
        f"{START_TIMEOUT:.0f}s: see {log_path}",
    )
    return process.pid, port


def stack_spark() -> SparkResource:
    """The stack's Spark settings: the code location's local wiring of them, resolved from
    this process's environment (so a wrong value fails here as it would in a run)."""
    from taxi_platform.resources.wiring import build_resources

    return build_resources("local")["spark"].process_config_and_initialize()


def spark_engine_chosen() -> bool:
    from taxi_platform.resources.wiring import build_resources

    return build_resources("local")["engine"].process_config_and_initialize().name == "spark"


def start(stack: Stack) -> None:
    """Start the stack's server when the spark engine is chosen, unless one already runs or
    `TAXI_SPARK_REMOTE` names another."""
    if os.environ.get("TAXI_SPARK_REMOTE") or not spark_engine_chosen():
        return
    if pid_alive(stack.load().get("extra_processes", {}).get(PROCESS_NAME, {}).get("pid")):
        return
    environ = {**os.environ, **stack.env()}
    started = time.monotonic()
    pid, port = launch(stack_spark(), stack.home / f"{PROCESS_NAME}.log", environ)
    stack.register_process(PROCESS_NAME, pid, port)
    stack.say(f"Spark Connect ready on {url(port)} (pid {pid}, {time.monotonic() - started:.1f}s)")
