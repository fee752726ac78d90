"""A real Superset, with the bundle imported, serves for every chart what PostgreSQL computes.

Superset runs from its own environment, installed by the project's code into the cache
folder (downloaded from PyPI on the first run, reused afterwards), with a fresh metadata
database in a temporary folder. The Gold marts get known rows in 2030 (removed afterwards);
each chart's data comes from `/api/v1/chart/<id>/data/`, i.e. the chart's saved query
context including its post-processing, and is compared with the same aggregate in SQL
over the whole mart, so rows other tests left in the marts cannot make it fail.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest
from psycopg import sql

from taxi_platform_dev.bi.superset_api import SupersetClient
from taxi_platform_dev.bi.superset_bundle import build_bundle, load_sources
from taxi_platform_dev.bi.superset_env import SupersetEnvironment
from taxi_platform_dev.bi.superset_server import SupersetServer
from taxi_platform_dev.bi.superset_sql import charts_sql
from taxi_platform_dev.local.processes import free_port, pid_alive

DAYS = [dt.date(2030, 1, day) for day in range(1, 8)]
MARTS = (
    "mart_daily_traffic",
    "mart_clinical_areas",
    "mart_session_analysis",
    "mart_popular_documents",
    "mart_hourly_traffic",
)
AREAS = [f"Test area {i:02d}" for i in range(12)]
CHARTS = {Path(n).stem: c for n, c in load_sources().items() if n.startswith("charts/")}
Row = tuple[Any, ...]


def _mart_rows() -> dict[str, list[Row]]:
    """Known rows for the 2030 week, with repeated values where charts must not merge them."""
    rows: dict[str, list[Row]] = {mart: [] for mart in MARTS}
    for n, day in enumerate(DAYS, start=1):
        peak = [9, 14, 9, 20, 14, 11, 9][n - 1]
        rows["mart_daily_traffic"].append((day, 1000 + 137 * n, 80 + 11 * n, 40 + 3 * n, peak))
        for hour in range(24):  # a local day's early hours in the UTC day before, as in Seoul
            utc_day = day if hour >= 9 or n == 1 else day - dt.timedelta(days=1)
            events = 5 + 60 * (hour in (8, 9, 18)) + 20 * (10 <= hour <= 17) + (n * hour) % 7
            rows["mart_hourly_traffic"].append((utc_day, day, hour, events))
        for i, area in enumerate(AREAS):
            if (i + n) % 5:
                searches = 5 + (i * 7 + n * 3) % 23 + 30 * (len(AREAS) - i)
                rows["mart_clinical_areas"].append((day, area, searches, searches - i % 3))
        for s in range(12):
            clicks = 1 + (s * 5 + n) % 17
            duration = float((s * 97 + n * 31) % 1800 if s % 4 else 600)  # 600 s repeats
            duration = 3 * 3600.0 + n if s == 11 else duration  # a session resumed hours later
            first = dt.datetime(2030, 1, n, 8, s, tzinfo=dt.UTC)
            # Every third session comes back: the same id over days 1–3, 4–6, and on day 7.
            session = f"test-{n}-{s}" if s % 3 else f"test-back{s}-{(n - 1) // 3}"
            rows["mart_session_analysis"].append(
                (
                    session,
                    day,
                    clicks,
                    min(clicks, 1 + s % 4),
                    first,
                    first + dt.timedelta(seconds=duration),
                    duration,
                )
            )
        for doc in range(1, 31):
            if (doc + n) % 3:
                views = 1 + (doc * 13 + n * 7) % 50 + 3 * doc
                rows["mart_popular_documents"].append(
                    (day, doc, f"Test document {doc}", views, max(1, views // 2))
                )
    return rows


def _delete_week(conn) -> None:
    for mart in MARTS:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE event_date BETWEEN %s AND %s").format(
                sql.Identifier(mart)
            ),
            (DAYS[0], DAYS[-1]),
        )


@pytest.fixture(scope="module")
def seeded_marts(gold_db) -> Iterator[None]:
    """The week's rows (in each mart's column order) written as gold_writer; removed after."""
    with gold_db.transaction() as conn:
        _delete_week(conn)
        for mart, rows in _mart_rows().items():
            empty = sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(mart))
            columns = [d.name for d in conn.execute(empty).description]
            gold_db.copy_rows(conn, mart, columns, rows)
    yield
    with gold_db.transaction() as conn:
        _delete_week(conn)


@pytest.fixture(scope="module")
def superset(tmp_path_factory, stack_env, seeded_marts) -> Iterator[SupersetClient]:
    """Superset on a free port, fresh metadata DB, the bundle imported; stopped at the end."""
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        timings[step], clock = time.monotonic() - clock, time.monotonic()

    environment = SupersetEnvironment().ensure()
    lap("environment")
    folder = tmp_path_factory.mktemp("superset")
    url = stack_env["TAXI_BI_READER_URL"]
    server = SupersetServer(folder, free_port(), url, environment)
    try:
        server.prepare()
        lap("metadata database")
        server.start()
        client = server.publish(build_bundle(folder / "bundle.zip", url))
        lap("start and import")
        print("Superset setup: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))
        yield client
    finally:
        server.stop()
    assert server.process is None or not pid_alive(server.process.pid), "Superset left running"


def _norm(value: Any) -> Any:
    """Numbers as rounded floats (SQL gives Decimal and int, Superset float and int)."""
    if value is None or isinstance(value, str | dt.date):
        return value
    if isinstance(value, list):
        return tuple(value)
    return round(float(value), 9)


def _day(epoch_ms: float) -> dt.date:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).date()


def series(rows: list[dict]) -> list[Row]:
    """Pivoted time series (one column per series) back to (day, series, value) rows."""
    return [
        (_day(r["event_date"]), name, value)
        for r in rows
        for name, value in r.items()
        if name != "event_date" and value is not None
    ]


def columns(*names: str, day: str | None = None) -> Callable[[list[dict]], list[Row]]:
    return lambda rows: [tuple(_day(r[n]) if n == day else r[n] for n in names) for r in rows]


DURATION_EDGES = [0, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800]


def duration_buckets(sessions: list[dict]) -> list[Row]:
    """Sessions per duration bucket (pandas.cut over the edges, min:s labels), in order."""
    seconds = pd.Series([row["session_duration_sec"] for row in sessions], dtype=float)
    labels = [
        f"{lo // 60:02d}:{lo % 60:02d}–{hi // 60:02d}:{hi % 60:02d}"
        for lo, hi in pairwise(DURATION_EDGES)
    ]
    buckets = pd.cut(
        seconds, [*DURATION_EDGES, float("inf")], right=False, labels=[*labels, "30:00 or more"]
    )
    counts = buckets.value_counts(sort=False)
    return [(label, n) for label, n in counts.items() if n]


BOX = ("mean", "median", "q1", "q3", "min", "max", "count", "outliers")
TIME_SERIES = "SELECT event_date, {label} AS series, sum({column}) AS value FROM {mart} GROUP BY 1"
# Numpy's "midpoint" percentile (Superset's box plot): mean of the two nearest ranks.
MIDPOINT = "avg(v) FILTER (WHERE i IN (floor((n - 1) * {p}), ceil((n - 1) * {p}))) AS {name}"


class Expect(NamedTuple):
    """The SQL over the whole mart, and how Superset's rows become the SQL's rows; with
    `compute`, the SQL only reads the mart and pandas computes the expected rows."""

    sql: str
    shape: Callable[[list[dict]], list[Row]]
    ranked_by: int | None = None  # column of a top-N chart's metric, sorted descending
    compute: Callable[[list[dict]], list[Row]] | None = None
    in_order: bool = False  # the chart's rows in the expected order (a categorical axis)


def cohort_retention(sessions: list[dict]) -> list[Row]:
    """Per first-seen day and days since: the share of that day's new sessions seen again,
    and pandas' rank(pct=True) of it over all cells (the heatmap's colour)."""
    frame = pd.DataFrame(sessions, columns=["session_id", "event_date"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["cohort_day"] = frame.groupby("session_id")["event_date"].transform("min")
    frame["days_since"] = (frame["event_date"] - frame["cohort_day"]).dt.days
    cells = frame.groupby(["cohort_day", "days_since"]).size().rename("n").reset_index()
    size = cells[cells["days_since"] == 0].set_index("cohort_day")["n"]
    cells["retention"] = cells["n"] / cells["cohort_day"].map(size)
    cells["rank"] = cells["retention"].rank(pct=True)
    return [(r.cohort_day.date(), r.days_since, r.retention, r.rank) for r in cells.itertuples()]


EXPECTED: dict[str, Expect] = {
    "daily_events_line": Expect(
        TIME_SERIES.format(label="'events'", column="total_events", mart="mart_daily_traffic"),
        series,
    ),
    "daily_sessions_bar": Expect(
        TIME_SERIES.format(label="'sessions'", column="unique_sessions", mart="mart_daily_traffic"),
        series,
    ),
    "document_views_trend": Expect(
        TIME_SERIES.format(label="'views'", column="view_count", mart="mart_popular_documents"),
        series,
    ),
    "clinical_area_trend": Expect(
        "SELECT event_date, clinical_area, sum(search_count) AS searches FROM mart_clinical_areas "
        "GROUP BY 1, 2",
        series,
    ),
    "hourly_traffic_heatmap": Expect(
        # Each (local day, local hour) cell is that hour's events over the UTC days it spans;
        # pandas rank(pct=True), the colour: the average rank of ties over the number of cells.
        "SELECT local_date, local_hour, sum(events) AS events, "
        "(rank() OVER w + (count(*) OVER (PARTITION BY sum(events)) - 1) / 2.0)"
        " / count(*) OVER () AS rank FROM mart_hourly_traffic GROUP BY 1, 2 "
        "WINDOW w AS (ORDER BY sum(events))",
        columns("local_date", "local_hour", "events", "rank", day="local_date"),
    ),
    "clinical_area_share_pie": Expect(
        "SELECT clinical_area, sum(search_count) AS searches FROM mart_clinical_areas "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 100",
        columns("clinical_area", "searches"),
        ranked_by=1,
    ),
    "clinical_area_top10": Expect(
        "SELECT clinical_area, sum(search_count) AS searches, sum(unique_sessions) AS sessions"
        " FROM mart_clinical_areas GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
        columns("clinical_area", "searches", "sessions"),
        ranked_by=1,
    ),
    "popular_documents_top20": Expect(
        "SELECT document_id, title, sum(view_count) AS views, sum(unique_sessions) AS sessions "
        "FROM mart_popular_documents GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20",
        columns("document_id", "title", "views", "sessions"),
        ranked_by=2,
    ),
    "session_duration_histogram": Expect(
        "SELECT session_duration_sec FROM mart_session_analysis",
        columns("duration_bucket", "sessions"),
        compute=duration_buckets,
        in_order=True,
    ),
    "session_clicks_boxplot": Expect(
        "WITH s AS (SELECT event_date, session_id, sum(click_count) v"
        " FROM mart_session_analysis GROUP BY 1, 2),"
        " r AS (SELECT event_date, v, count(*) OVER (PARTITION BY event_date) n,"
        " row_number() OVER (PARTITION BY event_date ORDER BY v) - 1 i FROM s) "
        f"SELECT event_date, avg(v) AS mean, {MIDPOINT.format(p=0.5, name='median')},"
        f" {MIDPOINT.format(p=0.25, name='q1')}, {MIDPOINT.format(p=0.75, name='q3')},"
        " min(v) AS min, max(v) AS max, count(*) AS count, ARRAY[]::int[] AS outliers"
        " FROM r GROUP BY 1",
        columns("event_date", *(f"clicks__{stat}" for stat in BOX), day="event_date"),
    ),
    "session_cohort_retention": Expect(
        "SELECT session_id, event_date FROM mart_session_analysis",
        columns("cohort_day", "days_since", "retention", "rank", day="cohort_day"),
        compute=cohort_retention,
    ),
}


def test_every_chart_has_an_expected_query():
    assert set(EXPECTED) == set(CHARTS)


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_chart_data_equals_sql(chart: str, superset: SupersetClient, gold_db):
    expect = EXPECTED[chart]
    (rows,) = superset.chart_data(superset.chart_ids()[CHARTS[chart]["uuid"]])
    actual = [tuple(map(_norm, row)) for row in expect.shape(rows)]
    rows_of_sql = gold_db.fetch_all(expect.sql)
    if expect.compute is not None:
        rows_of_sql = [dict(enumerate(row)) for row in expect.compute(rows_of_sql)]
    expected = [tuple(map(_norm, row.values())) for row in rows_of_sql]
    assert actual, f"{chart}: Superset returned no rows"
    if expect.ranked_by is not None:
        ranking = [row[expect.ranked_by] for row in actual]
        assert ranking == sorted(ranking, reverse=True), f"{chart}: not ranked by its metric"
    if expect.in_order:
        assert actual == expected
    assert sorted(actual, key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_bundle_sql_selects_what_superset_selects(chart: str, superset: SupersetClient, gold_db):
    """`superset_sql` (what `empty_panels` runs without a Superset) returns the rows of the
    query Superset itself writes for the chart, before its post-processing."""
    chart_id = superset.chart_ids()[CHARTS[chart]["uuid"]]
    [answer] = superset.get(f"/api/v1/chart/{chart_id}/data/", type="query")["result"]
    theirs, ours = gold_db.fetch_all(answer["query"]), gold_db.fetch_all(charts_sql()[chart])
    assert [list(row) for row in ours[:1]] == [list(row) for row in theirs[:1]], "labels"
    assert len(ours) == len(theirs) > 0
    if len(ours) < CHARTS[chart]["queries"][0].get("row_limit", 10000):  # no cut among ties
        key = repr
        normal = [
            sorted((tuple(map(_norm, r.values())) for r in rows), key=key)
            for rows in (ours, theirs)
        ]
        assert normal[0] == normal[1]


def test_the_seeded_week_reaches_superset(superset: SupersetClient):
    """Guards against two empty answers agreeing: the week's events are in the daily chart."""
    (rows,) = superset.chart_data(superset.chart_ids()[CHARTS["daily_events_line"]["uuid"]])
    shown = {day: events for day, _name, events in series(rows)}
    for day, events, *_ in _mart_rows()["mart_daily_traffic"]:
        assert shown[day] == events


@pytest.mark.parametrize(
    ("slug", "count"),
    [
        ("daily-traffic", 3),
        ("clinical-areas", 3),
        ("session-behaviour", 3),
        ("popular-documents", 2),
    ],
)
def test_dashboards_hold_their_charts(superset: SupersetClient, slug: str, count: int):
    assert len(superset.get(f"/api/v1/dashboard/{slug}/charts")["result"]) == count
