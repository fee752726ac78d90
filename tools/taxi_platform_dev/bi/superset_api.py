"""A small client of Superset's REST API: log in, import a bundle, list charts, read chart data.

Why the REST import (`/api/v1/assets/import/`) rather than `superset import-dashboards`:
the CLI's dashboard import never overwrites an existing database, dataset or chart, so a
changed bundle, or a stack restarted on another port, would leave stale copies behind;
the asset import replaces everything the bundle holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests


class SupersetError(RuntimeError):
    """Superset answered with an error; the message carries its status and answer."""


class SupersetClient:
    """A logged-in session (JWT plus the CSRF token Superset wants on writes)."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        login = {"username": username, "password": password, "provider": "db", "refresh": False}
        token = self._call("POST", "/api/v1/security/login", json=login)["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        csrf = self._call("GET", "/api/v1/security/csrf_token/")["result"]
        self.session.headers.update({"X-CSRFToken": csrf, "Referer": self.base_url})

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.session.request(
            method, self.base_url + path, timeout=self.timeout, **kwargs
        )
        if response.status_code >= 400:
            raise SupersetError(
                f"{method} {path} answered HTTP {response.status_code}: {response.text[:2000]}"
            )
        return response.json()

    def get(self, path: str, **params: str) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def import_assets(self, bundle: Path) -> None:
        """Import (and overwrite) every database, dataset, chart and dashboard of `bundle`."""
        with bundle.open("rb") as data:
            files = {"bundle": (bundle.name, data, "application/zip")}
            self._call("POST", "/api/v1/assets/import/", files=files)

    def chart_ids(self) -> dict[str, int]:
        """Chart id by chart uuid (the bundle's stable key; ids are assigned at import)."""
        answer = self.get("/api/v1/chart/", q="(columns:!(id,uuid),page_size:100)")
        return {row["uuid"]: row["id"] for row in answer["result"]}

    def chart_data(self, chart_id: int) -> list[list[dict[str, Any]]]:
        """The rows of each query of a chart, run from the chart's saved query context."""
        answer = self.get(f"/api/v1/chart/{chart_id}/data/")
        return [query["data"] for query in answer["result"]]
