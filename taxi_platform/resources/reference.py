"""Reference data source: where the TLC zone table is fetched from.

Why a resource: in `aws` mode the table comes from TLC's public CSV (a URL), locally from
the copy shipped in `taxi_platform/data/` (a path); tests and the stack never need the
public internet.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import dagster as dg
import requests

from taxi_platform.settings import ConfigError, require, zones_csv_default

TLC_ZONES_URL = "https://d37ci6vzurychx.cloudfront.net/misc/taxi_zone_lookup.csv"


class ReferenceDataResource(dg.ConfigurableResource):
    """Fetches reference files from an http(s) URL, an `s3://bucket/key` URI or a local path."""

    zones_url: str | None = None
    timeout_seconds: float = 30.0

    def zones_location(self) -> str:
        return self.zones_url or zones_csv_default()

    def fetch_zones(self) -> bytes:
        location = require(self.zones_location(), "TAXI_ZONES_URL")
        if location.startswith(("http://", "https://")):
            try:
                response = requests.get(location, timeout=self.timeout_seconds)
            except requests.RequestException as exc:
                raise ConfigError(
                    f"TAXI_ZONES_URL {location} is unreachable ({type(exc).__name__}): point "
                    f"it at a reachable copy of the TLC zone table ({TLC_ZONES_URL}, an "
                    "s3:// URI or a path)"
                ) from None
            if response.status_code != 200:
                raise ConfigError(
                    f"TAXI_ZONES_URL {location} answered HTTP {response.status_code}: "
                    f"point it at the TLC zone table ({TLC_ZONES_URL})"
                )
            return response.content
        if location.startswith("s3://"):
            bucket, _, key = location[5:].partition("/")
            return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        path = Path(location)
        if not path.exists():
            raise ConfigError(
                f"TAXI_ZONES_URL {path} does not exist: set it to the TLC zone table "
                f"(a path, s3:// URI or {TLC_ZONES_URL})"
            )
        return path.read_bytes()
