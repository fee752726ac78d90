"""Spark cluster resource: runs `spark/jobs/*.py` with spark-submit through Dagster Pipes.

Why Pipes and spark-submit instead of an in-process session: the same command runs a job
in local mode, on a standalone `spark://` cluster or on EMR, and the job reports its
metadata back to the asset without Dagster living inside the JVM's driver.

Inputs: the pip pyspark has no `s3a` connector, so in `stage` mode (local mode, or a
cluster on this machine) S3 objects are copied to a local cache and passed as paths; in
`s3a` mode (a cluster image that carries hadoop-aws) jobs read `s3a://bucket/key` directly.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from pydantic import Field

from taxi_platform.resources.java import resolve_java_home
from taxi_platform.settings import SPARK_JOBS_DIR, ConfigError


def spark_submit_path() -> str:
    """spark-submit of the pyspark wheel installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "spark-submit"
    found = str(candidate) if candidate.exists() else shutil.which("spark-submit")
    if not found:
        raise ConfigError("spark-submit not found: install the project (uv sync) to get pyspark")
    return found


def spark_environment(master: str) -> dict[str, str]:
    """Environment for spark-submit and in-process PySpark: Java, this Python, loopback."""
    env = {
        "JAVA_HOME": resolve_java_home(),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    if master.startswith("local") or "127.0.0.1" in master or "localhost" in master:
        env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


class SparkResource(dg.ConfigurableResource):
    """The Spark cluster: master URL, resources per job, and how jobs reach S3 objects."""

    master: str = "local[2]"
    input_mode: Literal["stage", "s3a"] = "stage"
    staging_dir: str | None = None
    driver_memory: str = "2g"
    executor_memory: str = "1g"
    shuffle_partitions: int = 8
    extra_conf: dict[str, str] = Field(default_factory=dict)
    jobs_dir: str = str(SPARK_JOBS_DIR)

    def work_dir(self, *parts: str) -> Path:
        """A local folder for staged inputs and job outputs (stage mode)."""
        base = Path(self.staging_dir or Path(tempfile.gettempdir()) / "taxi_platform_spark")
        path = base.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def input_uri(self, s3_client: Any, bucket: str, key: str) -> str:
        """Where a job reads `s3://bucket/key`: a staged local copy, or the s3a URI."""
        if self.input_mode == "s3a":
            return f"s3a://{bucket}/{key}"
        local = self.work_dir("staged", bucket) / key
        local.parent.mkdir(parents=True, exist_ok=True)
        head = s3_client.head_object(Bucket=bucket, Key=key)
        marker = local.with_name(local.name + ".etag")
        if not (local.exists() and marker.exists() and marker.read_text() == head["ETag"]):
            tmp = local.with_name(local.name + ".part")
            s3_client.download_file(bucket, key, str(tmp))
            tmp.replace(local)
            marker.write_text(head["ETag"])
        return str(local)

    def command(self, job: str, args: Sequence[str] = ()) -> list[str]:
        path = Path(self.jobs_dir) / job
        if not path.exists():
            raise ConfigError(f"Spark job {path} does not exist: jobs live in spark/jobs/")
        conf = {
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.session.timeZone": "UTC",
            "spark.ui.showConsoleProgress": "false",
            **self.extra_conf,
        }
        cmd = [spark_submit_path(), "--master", self.master, "--name", f"taxi_platform:{job}"]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        return [*cmd, str(path), *args]

    def submit(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        job: str,
        args: Sequence[str] = (),
        extras: Mapping[str, Any] | None = None,
    ) -> dg.PipesClientCompletedInvocation:
        """Run a job with spark-submit; its Pipes messages become this step's events."""
        context.log.info(f"spark-submit {job} on {self.master}")
        client = dg.PipesSubprocessClient(env={**os.environ, **spark_environment(self.master)})
        return client.run(context=context, command=self.command(job, args), extras=extras)
