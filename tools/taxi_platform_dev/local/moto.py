"""The stack's moto servers (subprocesses): S3 and DynamoDB over HTTP on 127.0.0.1.

Why servers and not moto's in-process mocks: the platform talks to them with plain boto3
through the standard endpoint variables, exactly as it talks to AWS, from every Dagster
process. moto keeps its data in memory: the stack saves it on `down` and loads it on `up`
(`moto_state.py`).

Why two: each serves one request at a time (`moto_server.py`) on one core, and the demo's
counters (thousands of DynamoDB updates) and its lake (S3) ran side by side through one queue
while the second core idled. `moto` serves S3 and every other service (CloudFormation, EC2,
IAM… for the deploy tests) at `AWS_ENDPOINT_URL`; `moto_dynamodb` serves DynamoDB alone at
`AWS_ENDPOINT_URL_DYNAMODB`, which boto3 prefers for DynamoDB clients.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3

from taxi_platform_dev.local.processes import spawn, terminate, wait_for_port

DYNAMODB_KEYS = {
    "TAXI_PICKUP_TABLE": ("pickup-zone-dynamodb-s", "zone_id"),
    "TAXI_FLAG_TABLE": ("flag-dynamodb-s", "counter_type"),
    "TAXI_ZONE_DISPATCH_TABLE": ("zone-count-dynamodb", "zone_id"),
    "TAXI_DESTINATION_TABLE": ("taxi-destination-dynamodb", "taxi_id"),
}
# The stack's servers: state name → (the one service it serves, None: all; its port variable).
SERVERS = {
    "moto": (None, "TAXI_STACK_MOTO_PORT"),
    "moto_dynamodb": ("dynamodb", "TAXI_STACK_DYNAMODB_PORT"),
}


@dataclass(frozen=True)
class Endpoints:
    """Where the stack's S3 and DynamoDB answer."""

    s3: str
    dynamodb: str

    @classmethod
    def of(cls, env: dict[str, str]) -> Endpoints:
        """From the variables, as boto3 reads them: the service's own, else the generic one."""
        generic = env.get("AWS_ENDPOINT_URL", "")
        return cls(
            env.get("AWS_ENDPOINT_URL_S3") or generic,
            env.get("AWS_ENDPOINT_URL_DYNAMODB") or generic,
        )


@dataclass
class Launched:
    """A moto server started and not yet known to listen."""

    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def ready(self, timeout: float = 30) -> int:
        """Its PID once it listens; stopped (not orphaned) when it does not."""
        try:
            wait_for_port(self.port, timeout, f"moto server ({self.name})", self.log)
        except BaseException:
            terminate(self.process.pid)
            raise
        return self.process.pid


def launch_moto(home: Path, name: str, port: int) -> Launched:
    """Start server `name` of `SERVERS` (`moto_server.py`: one request at a time, so DynamoDB
    updates are atomic as on AWS) in its own session (so Ctrl+C in a shell does not reach it),
    without waiting for it: the stack starts PostgreSQL and the other server meanwhile."""
    service, _ = SERVERS[name]
    log = home / f"{name}.log"
    command = [sys.executable, "-m", "taxi_platform_dev.local.moto_server"]
    command += ["-H", "127.0.0.1", "-p", str(port), *(["--service", service] if service else [])]
    return Launched(name, spawn(command, log, os.environ), port, log)


def session(region: str):
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )


def clients(endpoints: Endpoints, region: str):
    """(S3, DynamoDB) boto3 clients of the stack's moto servers."""
    aws = session(region)
    return aws.client("s3", endpoint_url=endpoints.s3), aws.client(
        "dynamodb", endpoint_url=endpoints.dynamodb
    )


def create_resources(
    endpoints: Endpoints, region: str, bucket: str, tables: dict[str, str] | None = None
) -> None:
    """The bucket and the four DynamoDB tables (idempotent)."""
    s3, dynamodb = clients(endpoints, region)
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
