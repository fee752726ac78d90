"""The SQL each chart of the Superset bundle asks of its dataset, written from the sources.

Why: checking that every chart has data should not need a running Superset (a minute to
start, a separate environment). A chart's saved query (`queries` in its source) names
columns, the dataset's metrics, an order and a limit; Superset turns that into one SELECT
over the dataset's table, or over its SQL for a virtual dataset, before any
post-processing (pivot, rank, histogram, box plot), which only reshapes rows. This writes
that SELECT the same way; `taxi_platform_tests/bi/test_superset.py` checks the real
Superset's answers against independent SQL and pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taxi_platform_dev.bi.superset_bundle import SOURCE_DIR, load_sources

TIME_GRAINS = {"P1D": "day", "P1W": "week", "P1M": "month"}


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(column: str | dict[str, Any]) -> tuple[str, str]:
    """(SQL expression, label) of a query column: a dataset column or an axis expression."""
    if isinstance(column, str):
        return _identifier(column), column
    expression = column["sqlExpression"]
    grain = column.get("timeGrain")
    if grain:
        expression = f"date_trunc('{TIME_GRAINS[grain]}', {expression})"
    return expression, column["label"]


def chart_sql(chart: dict[str, Any], dataset: dict[str, Any]) -> str:
    """The SELECT of `chart`'s (first) query over `dataset`."""
    if dataset.get("sql"):
        source = f"({dataset['sql']}) AS virtual_table"
    else:
        source = f"{_identifier(dataset['schema'])}.{_identifier(dataset['table_name'])}"
    metrics = {m["metric_name"]: m["expression"] for m in dataset.get("metrics", [])}
    query = chart["queries"][0]
    columns = [_column(c) for c in query.get("columns", [])]
    chosen = query.get("metrics", [])
    select = [f"{expr} AS {_identifier(label)}" for expr, label in columns]
    select += [f"{metrics[name]} AS {_identifier(name)}" for name in chosen]
    statement = f"SELECT {', '.join(select)} FROM {source}"
    if chosen and columns:
        statement += " GROUP BY " + ", ".join(expr for expr, _ in columns)
    order = [f"{_identifier(n)} {'ASC' if asc else 'DESC'}" for n, asc in query.get("orderby", [])]
    if order:
        statement += " ORDER BY " + ", ".join(order)
    return statement + f" LIMIT {int(query.get('row_limit', 10000))}"


def charts_sql(source: Path = SOURCE_DIR) -> dict[str, str]:
    """Every chart's SELECT, by chart file stem."""
    files = load_sources(source)
    datasets = {c["uuid"]: c for n, c in files.items() if n.startswith("datasets/")}
    return {
        Path(name).stem: chart_sql(config, datasets[config["dataset_uuid"]])
        for name, config in files.items()
        if name.startswith("charts/")
    }
