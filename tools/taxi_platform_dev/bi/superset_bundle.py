"""Build Superset's import bundle (a ZIP) from the sources in `infra/superset/bundle/`.

Why a builder rather than a committed ZIP: the database's address differs per environment,
so the sources hold everything but the address, and the builder writes it from
`TAXI_BI_READER_URL` (database switched to `gold`). It never writes the password: Superset
looks it up in its own environment when it connects (`infra/superset/superset_config.py`).

The sources are Superset's export format plus two shorthands the builder expands, because
they are where hand-written bundles go wrong:
- a chart's `queries` (what the chart's frontend would send) become its saved
  `query_context`, with the chart's params as form data, which the chart-data API needs;
- a dashboard's `layout` (rows of `[chart file, width]`) becomes `position`, every chart
  entry carrying the `meta.chartId` and `meta.uuid` the importer maps to imported charts.
All files go under one top-level folder, as Superset's importer expects.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from taxi_platform.settings import INFRA_DIR, ConfigError

SOURCE_DIR = INFRA_DIR / "superset" / "bundle"
ROOT_FOLDER = "taxi_platform_superset"
READER_ROLE = "bi_reader"
GOLD_DATABASE = "gold"
# Fixed member dates: the same sources and address always give the same bytes.
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
CHART_HEIGHT = 50


def gold_sqlalchemy_uri(bi_reader_url: str) -> str:
    """SQLAlchemy URI of database `gold` as `bi_reader`, from its libpq URI, without password."""
    parts = urlsplit(bi_reader_url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise ConfigError(
            "TAXI_BI_READER_URL is not a libpq URI (postgresql://bi_reader:…@host:port/db)"
        )
    if parts.username != READER_ROLE:
        raise ConfigError(
            f"TAXI_BI_READER_URL names role {parts.username!r}: BI tools connect only as "
            f"the read-only {READER_ROLE}"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    address = f"{READER_ROLE}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(("postgresql+psycopg2", address, f"/{GOLD_DATABASE}", parts.query, ""))


def load_sources(source: Path = SOURCE_DIR) -> dict[str, dict[str, Any]]:
    """Every source file by its path inside the bundle (`charts/x.yaml`), parsed."""
    return {
        path.relative_to(source).as_posix(): yaml.safe_load(path.read_text())
        for path in sorted(source.rglob("*.yaml"))
    }


def render(sqlalchemy_uri: str, source: Path = SOURCE_DIR) -> dict[str, dict[str, Any]]:
    """The bundle's files (path inside the root folder → content) in Superset's format."""
    files = load_sources(source)
    charts = {
        Path(name).stem: config for name, config in files.items() if name.startswith("charts/")
    }
    chart_ids = {stem: number for number, stem in enumerate(sorted(charts), start=1)}
    files[f"databases/{GOLD_DATABASE}.yaml"]["sqlalchemy_uri"] = sqlalchemy_uri
    for config in charts.values():
        _save_query_context(config)
    for name, config in files.items():
        if name.startswith("dashboards/"):
            layout = config.pop("layout")
            config["position"] = _position(config["dashboard_title"], layout, charts, chart_ids)
    return files


def _save_query_context(chart: dict[str, Any]) -> None:
    params = {**chart["params"], "viz_type": chart["viz_type"]}
    chart["params"] = params
    query_context = {
        # The importer replaces the datasource with the imported dataset's id.
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": chart.pop("queries"),
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
    chart["query_context"] = json.dumps(query_context, sort_keys=True)


def _position(
    title: str,
    layout: list[list[list[Any]]],
    charts: dict[str, dict[str, Any]],
    chart_ids: dict[str, int],
) -> dict[str, Any]:
    grid: list[str] = []
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": grid, "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": title}},
    }
    for row_number, row in enumerate(layout, start=1):
        row_id = f"ROW-{row_number}"
        grid.append(row_id)
        children: list[str] = []
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": children,
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for stem, width in row:
            if stem not in charts:
                raise ValueError(f"dashboard {title!r} names chart {stem!r}: no charts/{stem}.yaml")
            chart_id = f"CHART-{stem}"
            children.append(chart_id)
            position[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "chartId": chart_ids[stem],
                    "uuid": charts[stem]["uuid"],
                    "sliceName": charts[stem]["slice_name"],
                    "width": width,
                    "height": CHART_HEIGHT,
                },
            }
    return position


def build_bundle(out: Path, bi_reader_url: str, source: Path = SOURCE_DIR) -> Path:
    """Write the ZIP to `out` (one top-level folder) and return its path."""
    files = render(gold_sqlalchemy_uri(bi_reader_url), source)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as bundle:
        for name, config in sorted(files.items()):
            member = zipfile.ZipInfo(f"{ROOT_FOLDER}/{name}", date_time=ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(member, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return out
