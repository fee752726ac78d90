"""Log API resource: fetches encrypted batches from the log server (the old log ETL).

Why here and not in the asset: timeouts, retries and key handling are I/O policy. The
Fernet key is read only when a batch is decrypted and is never put into a message.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import requests
from cryptography.fernet import Fernet

from taxi_platform.settings import ConfigError, current_environment, require


class LogApiError(RuntimeError):
    """The log API could not be fetched after every retry."""


@dataclass(frozen=True)
class LogApiResponse:
    """One successful response: the body as received, its headers, when it arrived (UTC)."""

    body: bytes
    headers: Mapping[str, str]  # case-insensitive (requests' CaseInsensitiveDict)
    received_at: datetime


def _url_hint() -> str | None:
    """Locally the URL is the simulator's, which `stack up` alone does not start."""
    if current_environment() != "local":
        return None
    return (
        "locally it is the log API simulator that `taxi-platform dev` starts; then "
        'eval "$(taxi-platform stack env)" exports its URL'
    )


class LogApiResource(dg.ConfigurableResource):
    """HTTP client of the log API with timeouts and bounded retries with backoff."""

    url: str | None = None
    fernet_key: str | None = None
    timeout_seconds: float = 10.0
    retries: int = 3
    backoff_seconds: float = 1.0

    def fetch(self, params: dict[str, Any] | None = None) -> bytes:
        """The response body exactly as received (landing stores it untouched)."""
        return self.fetch_response(params).body

    def fetch_response(self, params: dict[str, Any] | None = None) -> LogApiResponse:
        """The body with the headers (the simulator's window headers) and the arrival time."""
        url = require(self.url, "TAXI_LOG_API_URL", _url_hint())
        last_error = ""
        for attempt in range(1, self.retries + 1):
            try:
                response = requests.get(url, params=params, timeout=self.timeout_seconds)
                if response.status_code == 200:
                    return LogApiResponse(response.content, response.headers, datetime.now(UTC))
                last_error = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                last_error = type(exc).__name__
            if attempt < self.retries:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise LogApiError(
            f"log API {url} failed {self.retries} times (last: {last_error}): check that the "
            "server is up and TAXI_LOG_API_URL points at it"
        )

    def fernet(self) -> Fernet:
        key = require(self.fernet_key, "TAXI_LOG_FERNET_KEY")
        try:
            return Fernet(key.encode("utf-8"))
        except (ValueError, TypeError):
            raise ConfigError(
                "TAXI_LOG_FERNET_KEY is not a valid Fernet key (32 url-safe base64-encoded "
                "bytes): set it to the key the log server encrypts with"
            ) from None
