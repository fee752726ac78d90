"""The production path, `TAXI_SPARK_INPUT_MODE=s3a`, below the models: a job writes through
`s3a://` with hadoop-aws's magic committer, using only the jars `taxi-platform spark jars`
fetched, and what goes wrong before a job starts (missing bucket, refused credentials, dead
endpoint) is one line. The zone models over s3a on a standalone cluster
(`test_zone_models_cluster.py`) and the Gold marts over s3a on local Spark
(`clicks/test_engine_parity.py`) publish DuckDB's tables."""

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from taxi_platform.resources.s3a_access import check_s3a_access
from taxi_platform.settings import ConfigError
from taxi_platform_dev.local.processes import free_port, wait_for_port
from taxi_platform_tests.support import failure_message, metadata
from taxi_platform_tests.zones.conftest import s3a_spark

# A job of this test's own (SparkResource.jobs_dir): squares of 1..n, written where told.
SQUARES_JOB = """
import sys
from dagster_pipes import open_dagster_pipes
from pyspark.sql import SparkSession

with open_dagster_pipes() as pipes:
    spark = SparkSession.builder.getOrCreate()
    n, output = int(sys.argv[1]), sys.argv[2]
    spark.range(1, n + 1, numPartitions=3).selectExpr("id", "id * id AS square").write.parquet(
        output
    )
    pipes.report_asset_materialization(metadata={"output": output})
    spark.stop()
"""


def test_the_magic_committer_writes_the_output(lake, spark_jars_dir, tmp_path):
    (tmp_path / "squares.py").write_text(SQUARES_JOB)
    spark = s3a_spark("local[2]", tmp_path, jobs_dir=str(tmp_path))
    client = lake.get_client()
    output = spark.output_uri(lake.bucket, "squares", "test")

    @dg.asset
    def squares(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return spark.submit(context, "squares.py", ["1000", output]).get_materialize_result()

    result = dg.materialize([squares])
    assert result.success, failure_message(result)
    assert metadata(result, squares)["output"] == output
    prefix = output.removeprefix(f"s3a://{lake.bucket}/")
    success = json.loads(lake.get_bytes(f"{prefix}/_SUCCESS"))  # S3A committers' manifest
    assert success["committer"] == "magic" and success["success"] is True
    assert not [k for k in lake.list_keys(prefix + "/") if "__magic" in k]
    table = spark.read_output(client, output).to_pandas().sort_values("id")
    assert table["id"].tolist() == list(range(1, 1001))
    assert (table["square"] == table["id"] ** 2).all()
    spark.discard_output(client, output)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_a_missing_bucket_is_named_before_spark_starts(stack, tmp_path):
    with pytest.raises(ConfigError, match=r"bucket no-such-lake does not exist at http") as exc:
        check_s3a_access(["no-such-lake"])
    assert "TAXI_LAKE_BUCKET" in _one_line(exc)

    # Through SparkResource.submit: the run fails with that line, no JVM is started.
    spark = s3a_spark("local[2]", tmp_path)

    @dg.asset
    def to_nowhere(context: dg.AssetExecutionContext):
        spark.submit(context, "smoke.py", ["s3a://no-such-lake/tmp/spark/x"])

    result = dg.materialize([to_nowhere], raise_on_error=False)
    assert not result.success
    assert "s3a: bucket no-such-lake does not exist" in failure_message(result)


def test_a_dead_endpoint_is_named(stack, monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", dead)
    with pytest.raises(ConfigError, match=rf"the S3 endpoint {dead} is unreachable") as exc:
        check_s3a_access(["taxi-platform-lake"])
    assert "AWS_ENDPOINT_URL_S3" in _one_line(exc)


def test_refused_credentials_are_named_without_the_secret(tmp_path, monkeypatch):
    """A moto server that authenticates requests (as S3 does): an unknown key is refused."""
    port = free_port()
    log = tmp_path / "moto.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, 30, "moto server", log)
        endpoint = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789")
        with pytest.raises(ConfigError, match=r"refused these AWS credentials") as exc:
            check_s3a_access(["taxi-platform-lake"])
        message = _one_line(exc)
        assert "(403)" in message and "AWS_SECRET_ACCESS_KEY" in message
        assert "not-the-secret" not in message
    finally:
        server.terminate()
        server.wait(timeout=10)
