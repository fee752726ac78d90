"""Spark cluster resource: runs `spark/jobs/*.py` with spark-submit through Dagster Pipes.

Why Pipes and spark-submit instead of an in-process session: the same command runs a job
in local mode, on a standalone `spark://` cluster or on EMR, and the job reports its
metadata back to the asset without Dagster living inside the JVM's driver.

Inputs: in `stage` mode S3 objects are copied to a local cache and passed as paths; in
`s3a` mode jobs read `s3a://bucket/key` directly, with the jars of `spark/pom.xml` (hadoop-aws
and what it needs, fetched beforehand by `taxi-platform spark jars`: resources/spark_jars.py)
on the class path, so neither the driver nor an executor downloads anything at run time.
Outputs follow the same switch: a local folder in `stage` mode, `s3a://bucket/tmp/spark/…`
in `s3a` mode, committed by hadoop-aws's magic committer (no rename, i.e. no copy, on S3);
`read_output` brings a job's Parquet result back as one Arrow table, once its `_SUCCESS`
marker shows the job committed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field

from taxi_platform.resources.java import resolve_java_home
from taxi_platform.resources.s3a_access import check_s3a_access, s3a_buckets
from taxi_platform.resources.spark_jars import spark_jars
from taxi_platform.settings import SPARK_CONF_DIR, SPARK_JOBS_DIR, ConfigError, choice

SPARK_OUTPUT_PREFIX = "tmp/spark"
# The concurrency pool of every asset that submits a Spark job. The instance limits each pool
# to one step at a time (`infra/dagster/dagster.yaml`): one job at a time on the cluster, and
# so one of the COPY loads that follow each job into PostgreSQL.
SPARK_POOL = "spark"
LOG_LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")
DRIVER_JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def spark_submit_path() -> str:
    """spark-submit of the pyspark wheel installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "spark-submit"
    found = str(candidate) if candidate.exists() else shutil.which("spark-submit")
    if not found:
        raise ConfigError("spark-submit not found: install the project (uv sync) to get pyspark")
    return found


def hadoop_version() -> str:
    """The Hadoop version the installed pyspark bundles (hadoop-aws must match it exactly)."""
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    found = [p.name[len("hadoop-client-api-") : -4] for p in jars.glob("hadoop-client-api-*.jar")]
    if not found:
        raise ConfigError(f"no hadoop-client-api jar in {jars}: reinstall pyspark (uv sync)")
    return found[0]


# Parquet writes to s3a:// through hadoop-aws's magic committer: tasks upload their files as
# pending multipart uploads and the job commit completes them, instead of FileOutputCommitter's
# renames, which S3 performs as copies. Spark reaches the committer through spark-hadoop-cloud's
# commit protocol (spark/pom.xml). Failing requests are retried a few times, not for minutes.
S3A_COMMIT_AND_RETRY = {
    "spark.hadoop.fs.s3a.committer.name": "magic",
    "spark.hadoop.fs.s3a.committer.magic.enabled": "true",
    "spark.sql.sources.commitProtocolClass": (
        "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol"
    ),
    "spark.sql.parquet.output.committer.class": (
        "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter"
    ),
    "spark.hadoop.fs.s3a.attempts.maximum": "3",
    "spark.hadoop.fs.s3a.retry.limit": "3",
    "spark.hadoop.fs.s3a.connection.establish.timeout": "5s",
}


def s3a_conf(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Spark settings for `s3a://`: boto3's credential chain and endpoint, the committer."""
    environ = os.environ if environ is None else environ
    conf = {
        "spark.hadoop.fs.s3a.aws.credentials.provider": (
            "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"
        ),
        **S3A_COMMIT_AND_RETRY,
    }
    if environ.get("AWS_REGION"):
        conf["spark.hadoop.fs.s3a.endpoint.region"] = environ["AWS_REGION"]
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:  # moto, MinIO: path-style addressing
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
    return conf


def s3a_class_path() -> dict[str, str]:
    """spark/pom.xml's jars on the driver's and the executors' class path, from their folder.

    Not `--jars`: that would copy the AWS SDK bundle (~700 MB) from the driver to every
    executor for every job, and loads the connector in a child class loader. A folder absent
    on a worker is skipped by Java: the Spark image has the same jars in its own jars/."""
    folder = spark_jars(hadoop_version())[0].parent
    return {
        "spark.driver.extraClassPath": f"{folder}/*",
        "spark.executor.extraClassPath": f"{folder}/*",
    }


def _s3_keys(s3_client: Any, bucket: str, prefix: str) -> list[str]:
    paginator = s3_client.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


# pyspark's switches to a Spark Connect client. Set in a driver's environment, its own
# session would be a client (without a URL): the platform's Connect server is
# `SparkResource.remote` (TAXI_SPARK_REMOTE), and drivers never inherit these.
CONNECT_VARIABLES = ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE")


def spark_environment(master: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for spark-submit and in-process PySpark: Java, this Python, loopback;
    with `environ`, that environment without `CONNECT_VARIABLES` beneath them."""
    env = {
        **{k: v for k, v in (environ or {}).items() if k not in CONNECT_VARIABLES},
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
    # A plain str (not a Literal) so that wiring can pass dg.EnvVar("TAXI_SPARK_INPUT_MODE"):
    # the value is checked where it is used, with an error naming the variable.
    input_mode: str = Field(default="stage", description="`stage` or `s3a` (module docstring).")
    staging_dir: str | None = None
    driver_memory: str = "2g"
    executor_memory: str = "1g"
    shuffle_partitions: int = 8
    log_level: str = Field(default="WARN", description="Driver log level (log4j2).")
    extra_conf: dict[str, str] = Field(default_factory=dict)
    jobs_dir: str = str(SPARK_JOBS_DIR)
    remote: str | None = Field(
        default=None,
        description="A Spark Connect server (sc://host:15002): the SQL models run there, in a "
        "warm session, instead of a spark-submit per run (resources/spark_connect.py).",
    )

    @property
    def reads_s3a(self) -> bool:
        return choice("TAXI_SPARK_INPUT_MODE", self.input_mode) == "s3a"

    def work_dir(self, *parts: str) -> Path:
        """A local folder for staged inputs and job outputs (stage mode)."""
        base = Path(self.staging_dir or Path(tempfile.gettempdir()) / "taxi_platform_spark")
        path = base.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def input_uri(self, s3_client: Any, bucket: str, key: str) -> str:
        """Where a job reads `s3://bucket/key`: a staged local copy, or the s3a URI."""
        if self.reads_s3a:
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

    def output_uri(self, bucket: str, *parts: str) -> str:
        """Where a job writes a result folder: local (stage mode) or under s3a (s3a mode)."""
        if self.reads_s3a:
            return f"s3a://{bucket}/{SPARK_OUTPUT_PREFIX}/{'/'.join(parts)}"
        return str(self.work_dir("output", *parts))

    def read_output(self, s3_client: Any, uri: str) -> pa.Table:
        """A job's Parquet result folder as one Arrow table (Spark's marker files skipped)."""
        if not uri.startswith("s3a://"):
            return pq.read_table(uri)
        bucket, _, prefix = uri.removeprefix("s3a://").partition("/")
        keys = _s3_keys(s3_client, bucket, prefix + "/")
        if f"{prefix}/_SUCCESS" not in keys:  # written last, by the job commit
            raise RuntimeError(f"{uri} has no _SUCCESS: the Spark job did not commit its output")
        parts = [
            pq.read_table(
                pa.BufferReader(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
            )
            for key in keys
            if key.endswith(".parquet")
        ]
        return pa.concat_tables(parts)

    def discard_output(self, s3_client: Any, uri: str) -> None:
        """Remove a result folder once its contents are published."""
        if not uri.startswith("s3a://"):
            shutil.rmtree(uri, ignore_errors=True)
            return
        bucket, _, prefix = uri.removeprefix("s3a://").partition("/")
        for key in _s3_keys(s3_client, bucket, prefix + "/"):
            s3_client.delete_object(Bucket=bucket, Key=key)

    def driver_java_options(self) -> str:
        """`spark/conf/log4j2.properties` at `log_level`, before any extra_conf options.

        The driver's stderr is the step's log: Spark's default INFO profile would bury the
        job's own lines under ~400 of its own per run."""
        level = self.log_level.strip().upper()
        if level not in LOG_LEVELS:
            raise ConfigError(
                f"TAXI_SPARK_LOG_LEVEL={self.log_level!r} is not a log4j level: use one of "
                f"{', '.join(LOG_LEVELS)} (default WARN)"
            )
        log_config = (SPARK_CONF_DIR / "log4j2.properties").as_uri()
        options = f"-Dlog4j2.configurationFile={log_config} -Dtaxi.spark.logLevel={level}"
        extra = self.extra_conf.get(DRIVER_JAVA_OPTIONS)
        return f"{options} {extra}" if extra else options

    def driver_conf(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The `--conf`s of a driver: a job's, or a Spark Connect server's (`environ`: the
        server's, for the lake's endpoint)."""
        return {
            **(s3a_conf(environ) | s3a_class_path() if self.reads_s3a else {}),
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.session.timeZone": "UTC",
            "spark.ui.showConsoleProgress": "false",
            **self.extra_conf,
            DRIVER_JAVA_OPTIONS: self.driver_java_options(),
        }

    def command(
        self, job: str, args: Sequence[str] = (), py_files: Sequence[str] = ()
    ) -> list[str]:
        path = Path(self.jobs_dir) / job
        if not path.exists():
            raise ConfigError(f"Spark job {path} does not exist: jobs live in spark/jobs/")
        cmd = [spark_submit_path(), "--master", self.master, "--name", f"taxi_platform:{job}"]
        for key, value in self.driver_conf().items():
            cmd += ["--conf", f"{key}={value}"]
        if py_files:  # modules the job imports, put beside it on the driver and executors
            cmd += ["--py-files", ",".join(py_files)]
        return [*cmd, str(path), *args]

    def submit(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        job: str,
        args: Sequence[str] = (),
        extras: Mapping[str, Any] | None = None,
        py_files: Sequence[str] = (),
    ) -> dg.PipesClientCompletedInvocation:
        """Run a job with spark-submit; its Pipes messages become this step's events."""
        command = self.command(job, args, py_files)
        if self.reads_s3a:
            check_s3a_access(s3a_buckets(args))
        context.log.info(f"spark-submit {job} on {self.master} (log level {self.log_level})")
        client = dg.PipesSubprocessClient(env=spark_environment(self.master, os.environ))
        with warnings.catch_warnings():
            # Dagster's own subprocess client calls a preview API of its own: not ours to fix,
            # and printed on every run.
            warnings.filterwarnings("ignore", ".*expected_writer_count", dg.PreviewWarning)
            return client.run(context=context, command=command, extras=extras)
