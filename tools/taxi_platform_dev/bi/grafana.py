"""Grafana's provisioning (`infra/grafana/`) read as data: datasources, the SQL of every
dashboard panel and alert rule, and Grafana's time macros expanded for a given range.

Why read the files in Python: the test runs exactly the queries Grafana would run (as
bi_reader, on real data) and `bi screenshots` pictures exactly those, so neither can drift
from what is provisioned. Dashboards use few macros; `expand_macros` writes the SQL that
Grafana's PostgreSQL datasource sends for a fixed range, and refuses any macro or template
variable it does not know rather than leaving a `$` for PostgreSQL to choke on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from taxi_platform.settings import INFRA_DIR

GRAFANA_DIR = INFRA_DIR / "grafana"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"
DASHBOARD_DIR = GRAFANA_DIR / "dashboards"
POSTGRES_TYPE = "grafana-postgresql-datasource"
EXPRESSION_UID = "__expr__"

_TIME_FILTER = re.compile(r"\$__timeFilter\(([^()]+)\)")
_ANY_VARIABLE = re.compile(r"\$\{?[A-Za-z_][\w]*(?:\([^()]*\))?")


@dataclass(frozen=True)
class Query:
    """One SQL query Grafana runs: a dashboard panel's target or an alert rule's data query."""

    source: str  # "<dashboard uid>/<panel id>" or "<rule uid>/<refId>"
    title: str
    datasource_uid: str
    sql: str
    format: str  # "table" or "time_series"
    panel_type: str | None = None  # None for alert queries
    panel_id: int | None = None


def load_yaml_folder(folder: Path) -> dict[str, Any]:
    """Every YAML file of a provisioning folder, parsed, by file name."""
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))}


def datasources() -> dict[str, dict[str, Any]]:
    """Provisioned datasources by uid."""
    files = load_yaml_folder(PROVISIONING_DIR / "datasources")
    return {ds["uid"]: ds for config in files.values() for ds in config["datasources"]}


def postgres_databases() -> dict[str, str]:
    """Database name of each PostgreSQL datasource, by uid."""
    return {
        uid: ds["jsonData"]["database"]
        for uid, ds in datasources().items()
        if ds["type"] == POSTGRES_TYPE
    }


def dashboards() -> dict[str, dict[str, Any]]:
    """Dashboard JSON by file stem (`live`, `weekly`, …)."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def panel_queries(dashboard: dict[str, Any]) -> list[Query]:
    """The SQL targets of every panel, in panel order."""
    return [
        Query(
            source=f"{dashboard['uid']}/{panel['id']}",
            title=panel["title"],
            datasource_uid=(target.get("datasource") or panel["datasource"])["uid"],
            sql=target["rawSql"],
            format=target.get("format", "time_series"),
            panel_type=panel["type"],
            panel_id=panel["id"],
        )
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def alert_rules() -> list[dict[str, Any]]:
    """Every provisioned alert rule (all groups of all files)."""
    files = load_yaml_folder(PROVISIONING_DIR / "alerting")
    return [
        rule
        for config in files.values()
        for group in config.get("groups", [])
        for rule in group["rules"]
    ]


def alert_queries() -> list[Query]:
    """The SQL data queries of the alert rules (CloudWatch queries have no SQL)."""
    databases = postgres_databases()
    return [
        Query(
            source=f"{rule['uid']}/{item['refId']}",
            title=rule["title"],
            datasource_uid=item["datasourceUid"],
            sql=item["model"]["rawSql"],
            format=item["model"].get("format", "table"),
        )
        for rule in alert_rules()
        for item in rule["data"]
        if item["datasourceUid"] in databases
    ]


def grafana_time(at: datetime) -> str:
    """A time as Grafana's PostgreSQL macros write it: quoted RFC 3339 in UTC, seconds."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone")
    return f"'{at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'"


def expand_macros(sql: str, start: datetime, end: datetime) -> str:
    """The SQL Grafana sends for the range [start, end]: `$__timeFilter(col)`,
    `$__timeFrom()` and `$__timeTo()` expanded; any other `$…` is an error."""
    frm, to = grafana_time(start), grafana_time(end)
    expanded = _TIME_FILTER.sub(lambda m: f"{m.group(1).strip()} BETWEEN {frm} AND {to}", sql)
    expanded = expanded.replace("$__timeFrom()", frm).replace("$__timeTo()", to)
    unknown = _ANY_VARIABLE.findall(expanded)
    if unknown:
        raise ValueError(f"unsupported Grafana macro or variable {unknown[0]!r} in: {sql}")
    return expanded
