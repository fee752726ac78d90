"""`taxi-platform check-config --connect`: reach every service the settings name, one line each.

Why: on a new host a missing grant, a wrong password, a closed port or the wrong Fernet key
otherwise shows up as the first failed run, hours later, one service at a time. Each probe
uses the resource the assets use (`wiring.build_resources`), so it exercises the same
variables, roles and credential chain, and only reads: a bucket head, table descriptions,
`SELECT current_user`, one log API batch (decrypted, not stored), the zone table.
Failures are one line naming the variable and the fix; no probe prints a secret.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

from taxi_platform.defs.logs.bronze import response_token
from taxi_platform.defs.logs.codec import CodecError, decrypt_batch
from taxi_platform.resources.java import resolve_java_home
from taxi_platform.resources.lake import unreachable_endpoint
from taxi_platform.resources.log_api import LogApiError
from taxi_platform.resources.postgres import redact
from taxi_platform.settings import ConfigError

TABLE_VARIABLES = {
    "pickup_table": "TAXI_PICKUP_TABLE",
    "flag_table": "TAXI_FLAG_TABLE",
    "zone_dispatch_table": "TAXI_ZONE_DISPATCH_TABLE",
    "destination_table": "TAXI_DESTINATION_TABLE",
}
DATABASES = ("postgres_db", "daily_stats_db", "gold_db")
EXPECTED = (ConfigError, ClientError, LogApiError, OSError)
AWS_HINT = (
    "on AWS: the instance profile, AWS_PROFILE or AWS_* keys, and AWS_REGION; locally: "
    'eval "$(taxi-platform stack env)"'
)


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name:<15} {self.detail}"


def _lake(lake: Any) -> str:
    client = lake.get_client()
    try:
        client.head_bucket(Bucket=lake.bucket)
    except (EndpointConnectionError, ConnectTimeoutError) as exc:
        raise ConfigError(unreachable_endpoint(client.meta.endpoint_url, exc)) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchBucket"):
            raise ConfigError(
                f"bucket {lake.bucket!r} does not exist at {client.meta.endpoint_url}: create "
                "it (infra/aws/taxi-platform.yaml) or fix TAXI_LAKE_BUCKET"
            ) from None
        raise ConfigError(
            f"bucket {lake.bucket!r}: {code or exc} — the credentials need s3:ListBucket on it "
            "(the stack's PlatformRole grants it)"
        ) from None
    return f"s3://{lake.bucket} at {client.meta.endpoint_url}"


def _dynamodb(dynamodb: Any) -> str:
    client = dynamodb.client()
    for field, variable in TABLE_VARIABLES.items():
        table = getattr(dynamodb, field)
        try:
            client.describe_table(TableName=table)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            fix = "create it or fix" if code == "ResourceNotFoundException" else "grant access to"
            raise ConfigError(f"table {table!r}: {code} — {fix} {variable}") from None
    return f"{len(TABLE_VARIABLES)} tables at {client.meta.endpoint_url}"


def _database(db: Any) -> str:
    [row] = db.fetch_all("SELECT current_user AS role, current_database() AS database")
    return f"{row['role']}@{row['database']} ({db.url_variable})"


def _log_api(log_api: Any) -> str:
    response = log_api.model_copy(update={"retries": 1}).fetch_response()
    try:
        records = decrypt_batch(response_token(response.body), log_api.fernet())
    except CodecError as exc:
        raise ConfigError(
            f"the latest batch of TAXI_LOG_API_URL cannot be read: {exc} — check that "
            "TAXI_LOG_FERNET_KEY is the key the log API encrypts with"
        ) from None
    return f"{len(records)} records in the latest batch, decrypted with TAXI_LOG_FERNET_KEY"


def _spark(spark: Any) -> str:
    java = resolve_java_home()
    master = spark.master
    if master.startswith("spark://"):
        address = urlsplit(master)
        try:
            socket.create_connection((address.hostname, address.port or 7077), timeout=5).close()
        except OSError as exc:
            raise ConfigError(
                f"Spark master {master} is unreachable ({exc.strerror or exc}): start the "
                "cluster or fix TAXI_SPARK_MASTER"
            ) from None
    return f"{master}, input {spark.input_mode}, Java {java}"


def _reference(reference: Any) -> str:
    lines = reference.fetch_zones().decode("utf-8", "replace").strip().splitlines()
    return f"{len(lines) - 1} zones from {reference.zones_location()}"


# Resource key → probe; the keys are those of `wiring.build_resources`.
PROBES: dict[str, Callable[[Any], str]] = {
    "lake": _lake,
    "dynamodb": _dynamodb,
    **dict.fromkeys(DATABASES, _database),
    "log_api": _log_api,
    "spark": _spark,
    "reference": _reference,
}


def probe_all(resources: Mapping[str, Any]) -> list[Probe]:
    """Every probe against the resources (as wired, `dg.EnvVar`s resolved here)."""
    results = []
    for name, probe in PROBES.items():
        try:
            detail = probe(resources[name].process_config_and_initialize())
        except BotoCoreError as exc:  # no credentials, no region, endpoint unreachable
            results.append(Probe(name, False, _first_line(f"{exc} — {AWS_HINT}")))
        except EXPECTED as exc:
            results.append(Probe(name, False, _first_line(str(exc))))
        except Exception as exc:  # a diagnostic reports every probe, whatever one raises
            results.append(Probe(name, False, _first_line(f"{type(exc).__name__}: {exc}")))
        else:
            results.append(Probe(name, True, redact(detail)))
    return results


def _first_line(text: str) -> str:
    lines = redact(text).strip().splitlines()
    return lines[0] if lines else "failed without a message"
