"""DuckDB over the lake's S3 (moto here): httpfs from its wheel, boto3's credentials."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taxi_platform.resources.duckdb_s3 import connect_s3, s3_secret_options
from taxi_platform.settings import ConfigError


def test_reads_and_writes_parquet_on_the_stack_s3(lake):
    client, bucket = lake.get_client(), lake.bucket
    table = pa.table({"zone": [1, 2, 2, 7], "trips": [10, 20, 5, 1]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    client.put_object(Bucket=bucket, Key="tests/duckdb_s3/in.parquet", Body=sink.getvalue())

    connection = connect_s3()
    rows = connection.execute(
        f"SELECT zone, sum(trips) FROM read_parquet('s3://{bucket}/tests/duckdb_s3/in.parquet') "
        "GROUP BY zone ORDER BY zone"
    ).fetchall()
    assert rows == [(1, 10), (2, 25), (7, 1)]

    connection.execute(
        f"COPY (SELECT * FROM range(3) t(n)) TO 's3://{bucket}/tests/duckdb_s3/out.parquet'"
    )
    body = client.get_object(Bucket=bucket, Key="tests/duckdb_s3/out.parquet")["Body"].read()
    assert pq.read_table(io.BytesIO(body)).column("n").to_pylist() == [0, 1, 2]


def test_endpoint_and_credentials_come_from_the_aws_variables(stack_env):
    options = s3_secret_options(stack_env)
    endpoint = stack_env.get("AWS_ENDPOINT_URL_S3") or stack_env["AWS_ENDPOINT_URL"]
    assert endpoint.endswith(options["ENDPOINT"])
    assert options["URL_STYLE"] == "path" and options["USE_SSL"] == "false"
    assert options["KEY_ID"] == stack_env["AWS_ACCESS_KEY_ID"]


def test_an_endpoint_that_is_not_a_url_names_the_variable():
    with pytest.raises(ConfigError, match="AWS_ENDPOINT_URL_S3"):
        s3_secret_options({"AWS_ENDPOINT_URL_S3": "not a url", "AWS_REGION": "us-east-1"})


def test_keys_in_the_given_environment_win_over_the_process_chain(monkeypatch):
    """`taxi-platform sql` passes a stack's environment without exporting it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "process-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "process-secret")
    given = {"AWS_ACCESS_KEY_ID": "stack-key", "AWS_SECRET_ACCESS_KEY": "stack-secret"}
    options = s3_secret_options({**given, "AWS_REGION": "us-east-1"})
    assert (options["KEY_ID"], options["SECRET"]) == ("stack-key", "stack-secret")
    assert s3_secret_options({"AWS_REGION": "us-east-1"})["KEY_ID"] == "process-key"
