"""The zone models on the Spark engine on a real standalone cluster (master + 2 one-core
workers from the pip pyspark, on 127.0.0.1), over `s3a://` as in production, publish the
tables of the default engine (DuckDB); no process outlives the test."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.spark import spark_environment
from taxi_platform_dev.local.processes import free_port, wait_for_port
from taxi_platform_tests.support import keys_of, metadata
from taxi_platform_tests.zones.conftest import (
    MODEL_MONTHS,
    assert_nothing_staged_or_left,
    materialize_models,
    published_tables,
    s3a_spark,
)
from taxi_platform_tests.zones.reference_models import reference_models
from taxi_platform_tests.zones.test_zone_models import assert_equal_to_reference


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(pgid: int) -> None:
    """SIGTERM the process group we started (daemon + its executors), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not _group_alive(pgid):
            return


def _alive_workers(status: str) -> int:
    """Workers registered with the master; 0 while its UI is still starting (not JSON yet)."""
    try:
        return requests.get(status, timeout=5).json()["aliveworkers"]
    except (requests.RequestException, ValueError, KeyError):
        return 0


@contextlib.contextmanager
def standalone_cluster(folder: Path, workers: int = 2) -> Iterator[tuple[str, str, list[int]]]:
    """(master URL, master JSON status URL, process group ids) of a running cluster; stopped
    on exit."""
    spark_class = str(Path(sys.executable).parent / "spark-class")
    master = f"spark://127.0.0.1:{free_port()}"
    env = {**os.environ, **spark_environment(master), "SPARK_LOG_DIR": str(folder)}
    groups: list[int] = []
    processes: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> None:
        with (folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [spark_class, *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        processes.append(process)
        groups.append(process.pid)

    ui = free_port()
    try:
        start(
            "master",
            *("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"),
            *("--port", master.rsplit(":", 1)[1], "--webui-port", str(ui)),
        )
        wait_for_port(ui, 90, "Spark master UI", folder / "master.log")
        for number in range(workers):
            start(
                f"worker{number}",
                *("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1"),
                *("--cores", "1", "--memory", "1g", "--webui-port", str(free_port())),
                *("--work-dir", str(folder / f"work{number}"), master),
            )
        status = f"http://127.0.0.1:{ui}/json/"
        deadline = time.monotonic() + 90
        while _alive_workers(status) < workers:
            assert time.monotonic() < deadline, "workers did not register with the master"
            time.sleep(0.5)
        yield master, status, groups
    finally:
        for pgid in reversed(groups):
            _stop_group(pgid)
        for process in processes:
            process.wait(timeout=10)


@pytest.mark.cluster
def test_a_standalone_cluster_gives_the_tables_of_duckdb(
    local_run, resources, lake, postgres_db, model_months_in_lake, spark_jars_dir, tmp_path
):
    duckdb_tables = local_run[1]
    postgres_db.execute("DELETE FROM adjacent_zones")
    with standalone_cluster(tmp_path) as (master, status, groups):
        spark = s3a_spark(master, tmp_path)
        cluster = {**resources, "spark": spark, "engine": EngineResource(engine="spark")}
        result = materialize_models(cluster, sorted(MODEL_MONTHS))
        assert result.success
        cluster_tables = published_tables(postgres_db)
        assert metadata(result, keys_of(zone_models)[0])["spark_master"] == master
        apps = requests.get(status, timeout=5).json()["completedapps"]
        assert [(a["name"], a["cores"]) for a in apps] == [("taxi_platform:sql_model.py", 2)]
    assert not any(_group_alive(pgid) for pgid in groups)  # no leftovers
    assert_nothing_staged_or_left(tmp_path, lake)
    assert cluster_tables[1] == duckdb_tables[1]
    assert cluster_tables[0].equals(duckdb_tables[0])
    assert_equal_to_reference(cluster_tables, reference_models(model_months_in_lake))
