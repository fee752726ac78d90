"""A moto server subprocess: S3 and DynamoDB over HTTP on 127.0.0.1.

Why a server and not moto's in-process mocks: the platform talks to it with plain boto3
through `AWS_ENDPOINT_URL`, exactly as it talks to AWS, from every Dagster process.
moto keeps its data in memory: the stack saves it on `down` and loads it on `up`
(`moto_state.py`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import boto3

from taxi_platform_dev.local.processes import spawn, wait_for_port

DYNAMODB_KEYS = {
    "TAXI_PICKUP_TABLE": ("pickup-zone-dynamodb-s", "zone_id"),
    "TAXI_FLAG_TABLE": ("flag-dynamodb-s", "counter_type"),
    "TAXI_ZONE_DISPATCH_TABLE": ("zone-count-dynamodb", "zone_id"),
    "TAXI_DESTINATION_TABLE": ("taxi-destination-dynamodb", "taxi_id"),
}


def start_moto(home: Path, port: int) -> int:
    """Start moto's server (`moto_server.py`: one request at a time, so DynamoDB updates are
    atomic as on AWS) in its own session (so Ctrl+C in a shell does not reach it)."""
    log = home / "moto.log"
    server = "taxi_platform_dev.local.moto_server"
    command = [sys.executable, "-m", server, "-H", "127.0.0.1", "-p", str(port)]
    process = spawn(command, log, os.environ)
    wait_for_port(port, 30, "moto server", log)
    return process.pid


def clients(endpoint: str, region: str):
    """(S3, DynamoDB) boto3 clients of the moto server at `endpoint`."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    return session.client("s3", endpoint_url=endpoint), session.client(
        "dynamodb", endpoint_url=endpoint
    )


def create_resources(
    endpoint: str, region: str, bucket: str, tables: dict[str, str] | None = None
) -> None:
    """The bucket and the four DynamoDB tables (idempotent)."""
    s3, dynamodb = clients(endpoint, region)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    present = set(dynamodb.list_tables()["TableNames"])
    for variable, (default_name, key) in DYNAMODB_KEYS.items():
        name = (tables or {}).get(variable, default_name)
        if name in present:
            continue
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
