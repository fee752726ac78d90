"""A DuckDB connection that reads and writes the lake's S3 the way boto3 does.

Why not DuckDB's own `INSTALL httpfs`: it downloads the extension from extensions.duckdb.org
at run time, which a deployment without internet (and this project's CI) cannot reach. The
extension ships as a wheel on PyPI (`duckdb-extension-httpfs`, pinned to the same version as
`duckdb`), and is loaded from there. Credentials come from boto3's chain (variables, profile,
instance role) and the endpoint from `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, so moto
locally and S3 on AWS are reached with the same settings as every other client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import duckdb

from taxi_platform.settings import ConfigError


def httpfs_extension_path() -> Path:
    """The httpfs extension file inside the `duckdb-extension-httpfs` wheel."""
    import duckdb_extension_httpfs

    root = Path(duckdb_extension_httpfs.__file__).parent
    found = sorted(root.rglob(f"v{duckdb.__version__}/httpfs.duckdb_extension"))
    if not found:
        raise ConfigError(
            f"duckdb-extension-httpfs has no build for duckdb {duckdb.__version__} under {root}: "
            "pin both packages to the same version (pyproject.toml) and run uv sync"
        )
    return found[0]


def s3_secret_options(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`CREATE SECRET (TYPE s3, …)` options: region, endpoint and boto3's current credentials."""
    environ = os.environ if environ is None else environ
    # Keys in `environ` win (a stack's environment passed in, not exported); without them,
    # boto3's own chain (the process's variables, profile, instance role).
    keys = {
        "aws_access_key_id": environ.get("AWS_ACCESS_KEY_ID"),
        "aws_secret_access_key": environ.get("AWS_SECRET_ACCESS_KEY"),
        "aws_session_token": environ.get("AWS_SESSION_TOKEN") or None,
    }
    explicit = keys if keys["aws_access_key_id"] and keys["aws_secret_access_key"] else {}
    session = boto3.Session(region_name=environ.get("AWS_REGION") or None, **explicit)
    options = {"REGION": session.region_name or "us-east-1"}
    credentials = session.get_credentials()
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        options["KEY_ID"] = frozen.access_key
        options["SECRET"] = frozen.secret_key
        if frozen.token:
            options["SESSION_TOKEN"] = frozen.token
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:  # moto, MinIO: host:port, path-style, TLS as the URL says
        parts = urlsplit(endpoint)
        if not parts.hostname:
            raise ConfigError(
                f"AWS_ENDPOINT_URL_S3={endpoint!r} is not a URL: use e.g. http://127.0.0.1:5000"
            )
        options["ENDPOINT"] = parts.netloc
        options["URL_STYLE"] = "path"
        options["USE_SSL"] = "true" if parts.scheme == "https" else "false"
    return options


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect_s3(
    database: str = ":memory:", environ: Mapping[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with httpfs loaded and an S3 secret for the lake.

    The secret is created in memory only (never persisted with the database) and its
    statement is never logged: DuckDB's errors name the option, not its value."""
    connection = duckdb.connect(database)
    connection.execute(f"LOAD {_literal(str(httpfs_extension_path()))}")
    options = ", ".join(f"{k} {_literal(v)}" for k, v in s3_secret_options(environ).items())
    connection.execute(f"CREATE OR REPLACE TEMPORARY SECRET lake (TYPE s3, {options})")
    return connection
