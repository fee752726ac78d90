"""What the engine benchmarks share: the machine line, the plain DuckDB baseline, the stack.

The baseline is the same SQL files run by DuckDB alone (`run_duckdb` on a `connect_s3`
connection: no Dagster, no resources, no load into PostgreSQL), reading the same S3 objects.
"""

from __future__ import annotations

import os
import platform
import signal
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from taxi_platform.resources.duckdb_s3 import connect_s3
from taxi_platform.resources.engine import run_duckdb
from taxi_platform.sql_models import SqlModel
from taxi_platform_dev.local.processes import terminate
from taxi_platform_dev.local.spark_connect import launch, stack_spark, url
from taxi_platform_dev.local.stack import Stack


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}"
    )


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# The columns both engine benchmarks report after their own (what was run, how big).
COMPARED = (
    "plain DuckDB (s)",
    "asset: engine (s)",
    "asset: wall (s)",
    "engine / plain",
    "asset wall / plain",
    "Spark asset wall (s)",
    "Spark / plain",
)


def compared_cells(plain: float, metadata: dict, wall: float, spark_wall: float | None) -> list:
    """The `COMPARED` cells: the asset's engine time (start + compute, from its metadata) and
    wall time, and Spark's wall time (None: not run), each also as a ratio to `plain`."""
    engine = metadata["engine_start_seconds"] + metadata["engine_compute_seconds"]
    cells = [f"{plain:.2f}", f"{engine:.2f}", f"{wall:.2f}"]
    cells += [f"{engine / plain:.2f}×", f"{wall / plain:.2f}×"]
    if spark_wall is None:
        return [*cells, "–", "–"]
    return [*cells, f"{spark_wall:.1f}", f"{spark_wall / plain:.0f}×"]


# Over rounds of (plain, plain + load, asset wall) taken one after another: the median of
# each round's ratio, which a host whose speed drifts between rounds moves less than one run.
MEDIAN_COMPARED = ("rounds", "median asset wall / plain", "median asset wall / (plain + load)")


def median_cells(rounds: list[tuple[float, float, float]]) -> list[str]:
    plain = statistics.median(wall / plain for plain, _, wall in rounds)
    loaded = statistics.median(wall / plain_load for _, plain_load, wall in rounds)
    return [str(len(rounds)), f"{plain:.2f}×", f"{loaded:.2f}×"]


# The Spark engine on a warm Spark Connect server, after `COMPARED` (None: not run).
CONNECT_COMPARED = ("Spark Connect asset wall (s)", "Connect / plain", "spark-submit / Connect")


def connect_cells(plain: float, spark_wall: float | None, connect_wall: float | None) -> list:
    if connect_wall is None:
        return ["–"] * len(CONNECT_COMPARED)
    submit = f"{spark_wall / connect_wall:.1f}×" if spark_wall is not None else "–"
    return [f"{connect_wall:.1f}", f"{connect_wall / plain:.0f}×", submit]


@contextmanager
def connect_server(stack: Stack) -> Iterator[str]:
    """A Spark Connect server beside the bench stack, as `taxi-platform dev` starts one with
    TAXI_ENGINE=spark (the stack's Spark settings; started once, warm for every run after);
    `TAXI_SPARK_REMOTE` names it while it runs, so `build_resources` wires it."""
    environ = dict(os.environ)
    started = time.perf_counter()
    pid, port = launch(stack_spark(), stack.home / "spark_connect.log", environ)
    print(f"Spark Connect server started in {time.perf_counter() - started:.1f} s", flush=True)
    os.environ["TAXI_SPARK_REMOTE"] = url(port)
    try:
        yield url(port)
    finally:
        del os.environ["TAXI_SPARK_REMOTE"]
        terminate(pid)


def plain_duckdb(model: SqlModel) -> tuple[float, dict[str, pa.Table]]:
    """(seconds, outputs) of the model's SQL on a bare DuckDB connection over the lake."""
    started = time.perf_counter()
    with connect_s3() as connection:
        tables = run_duckdb(connection, model)
    return time.perf_counter() - started, tables


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def bench_stack(folder: Path) -> Iterator[Stack]:
    """A fresh embedded stack whose settings this process uses; stopped at the end, also when
    the bench is killed with SIGTERM (turned into SystemExit so the `finally` runs)."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    stack = Stack(folder / "stack", say=lambda _m: None)
    try:
        stack.up()
        os.environ.update(stack.env())
        yield stack
    finally:
        stack.down(save=False)  # a bench's lake is thrown away with its folder
