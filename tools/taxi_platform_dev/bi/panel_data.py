"""Which dashboard panels and charts would show nothing: every BI query run as bi_reader.

Why one list: a dashboard with an empty panel tells nothing, and what a panel needs (a week
of closed days, yesterday and the day before, the hours of a day) is easy to lose when the
simulated data changes. Every Grafana panel and alert query (macros expanded for a given
range, as `bi screenshots` draws them) and every Superset chart's SELECT (`superset_sql`)
runs read-only; a result without rows, or with a column that is NULL in every row (a series
the panel cannot draw), is named with its dashboard and title.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from taxi_platform_dev.bi import grafana
from taxi_platform_dev.bi.reader import BiReader, Result
from taxi_platform_dev.bi.superset_bundle import GOLD_DATABASE, load_sources
from taxi_platform_dev.bi.superset_sql import charts_sql


def _problem(result: Result) -> str | None:
    if not result.rows:
        return "no rows"
    empty = [c for c in result.columns if all(v is None for v in result.column(c))]
    return f"NULL in every row: {', '.join(empty)}" if empty else None


def empty_panels(reader: BiReader, start: datetime, end: datetime) -> list[str]:
    """`<where> <title>: <problem>` for every query with nothing to draw over [start, end]."""
    databases = grafana.postgres_databases()
    queries = [q for board in grafana.dashboards().values() for q in grafana.panel_queries(board)]
    found = []
    for query in [*queries, *grafana.alert_queries()]:
        sql = grafana.expand_macros(query.sql, start, end)
        problem = _problem(reader.run(databases[query.datasource_uid], sql))
        if problem:
            found.append(f"grafana {query.source} {query.title!r}: {problem}")
    titles = {
        Path(name).stem: chart["slice_name"]
        for name, chart in load_sources().items()
        if name.startswith("charts/")
    }
    for chart, sql in charts_sql().items():
        problem = _problem(reader.run(GOLD_DATABASE, sql))
        if problem:
            found.append(f"superset chart {chart} {titles[chart]!r}: {problem}")
    return found
