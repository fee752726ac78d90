"""Grafana's provisioning: the shape of every file, and every panel and alert query run as
bi_reader against the real PostgreSQL after the counters, zones and marts are in place.

Why both: Grafana itself is not installed here (its official container is how it runs), so
the files are checked for what Grafana would reject or silently mis-wire (duplicate uids,
references to missing datasources, dashboards or refIds, overlapping panels), and every
query is run the way Grafana runs it: macros expanded for a fixed range (the 24 hours up
to the end of the simulation, the Live dashboard's default), in a READ ONLY transaction,
as the read-only role. Each must return rows with no all-NULL column, time-series panels a
`time` column of timestamps; the alert rules' thresholds are evaluated on the results.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import psycopg
import pytest

from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.settings import ConfigError, timezone
from taxi_platform_dev.bi import grafana
from taxi_platform_dev.bi.charts import render_page
from taxi_platform_dev.bi.grafana_local import grafana_environment, grafana_hint
from taxi_platform_dev.bi.reader import BiReader, Result
from taxi_platform_tests.bi.grafana_data import (
    busy_zones,
    clear_marts,
    clear_zone_models,
    materialize_zones,
    seed_marts,
    seed_zone_models,
    simulate_counters,
)
from taxi_platform_tests.bi.test_superset_bundle import OTHER_ROLES, URI_USER, ZONE_NAME
from taxi_platform_tests.counters.helpers import clear_counters, clear_tables

DASHBOARDS = grafana.dashboards()
DATASOURCES = grafana.datasources()
DATABASES = grafana.postgres_databases()
RULES = grafana.alert_rules()
PANEL_QUERIES = [q for board in DASHBOARDS.values() for q in grafana.panel_queries(board)]
SQL_QUERIES = {q.source: q for q in [*PANEL_QUERIES, *grafana.alert_queries()]}
TIME_SERIES_PANELS = {"timeseries", "heatmap"}
GRID_COLUMNS = 24
ENV_REFERENCE = re.compile(r"^\$\{?[A-Z][A-Z0-9_]*\}?$")
WRITE_KEYWORDS = re.compile(
    r"\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|vacuum|"
    r"analyze|call|do|lock|refresh|comment|reindex|cluster|set|reset|discard|listen|notify|"
    r"prepare|execute|security|into)\b",
    re.IGNORECASE,
)
STATES = {"OK", "NoData", "Alerting", "Error", "KeepLast"}
# Expected on the simulated data: one taxi is unassigned, the rate is about 0.25, and the
# last snapshot was taken at the end of the simulation.
EXPECTED_FIRING = {
    "taxi-unassigned-taxis": True,
    "taxi-success-rate-low": False,
    "taxi-counter-snapshots-stale": False,
}


# ---------------------------------------------------------------- the files


def test_every_provisioning_file_is_version_1():
    for folder in ("datasources", "dashboards", "alerting"):
        files = grafana.load_yaml_folder(grafana.PROVISIONING_DIR / folder)
        assert files, f"no provisioning file in {folder}/"
        for name, config in files.items():
            assert config["apiVersion"] == 1, f"{folder}/{name}"


def test_postgres_datasources_are_bi_reader_with_credentials_from_the_environment():
    assert len({ds["name"] for ds in DATASOURCES.values()}) == len(DATASOURCES)
    assert sorted(DATABASES.values()) == ["daily_stats_db", "gold", "postgres"]
    for uid in DATABASES:
        ds = DATASOURCES[uid]
        assert ds["user"] == "bi_reader", uid
        assert ENV_REFERENCE.match(ds["url"]), f"{uid}: address not from the environment"
        assert ENV_REFERENCE.match(ds["jsonData"]["sslmode"]), uid
        assert set(ds["secureJsonData"]) == {"password"}, uid
        assert ENV_REFERENCE.match(ds["secureJsonData"]["password"]), f"{uid}: password in file"
        assert "password" not in ds.get("jsonData", {}) and "password" not in ds, uid
    [cloudwatch] = [ds for ds in DATASOURCES.values() if ds["type"] == "cloudwatch"]
    assert cloudwatch["jsonData"]["authType"] == "default"  # the AWS SDK chain, no keys here


def test_dashboard_provider_loads_the_dashboard_folder():
    [config] = grafana.load_yaml_folder(grafana.PROVISIONING_DIR / "dashboards").values()
    [provider] = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert provider["allowUiUpdates"] is False


def test_dashboards_have_unique_uids_and_the_issue_s_four_views():
    uids = [board["uid"] for board in DASHBOARDS.values()]
    assert len(uids) == len(set(uids))
    assert set(DASHBOARDS) == {"live", "weekly", "zone_recommendation", "data_freshness"}


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_reference_datasources_and_sit_on_the_grid(name: str):
    board = DASHBOARDS[name]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), f"{name}: duplicate panel ids"
    cells: dict[tuple[int, int], int] = {}
    for panel in board["panels"]:
        label = f"{name}/{panel['id']} {panel['title']!r}"
        assert panel["datasource"]["uid"] in DATABASES, label
        targets = panel["targets"]
        assert len({t["refId"] for t in targets}) == len(targets), label
        for target in targets:
            assert target["datasource"] == panel["datasource"], label
            assert target["rawQuery"] and target["rawSql"].strip(), label
            expected = "time_series" if panel["type"] in TIME_SERIES_PANELS else "table"
            assert target["format"] == expected, label
        grid = panel["gridPos"]
        x, y, w, h = (grid[k] for k in ("x", "y", "w", "h"))
        assert all(isinstance(v, int) for v in (x, y, w, h)), label
        assert x >= 0 and y >= 0 and w >= 1 and h >= 1 and x + w <= GRID_COLUMNS, label
        for cell in ((cx, cy) for cx in range(x, x + w) for cy in range(y, y + h)):
            assert cell not in cells, f"{label} overlaps panel {cells[cell]}"
            cells[cell] = panel["id"]


def _references(model: dict[str, Any]) -> set[str]:
    """The refIds an expression reads: `expression` is a refId, or `$X` terms for math."""
    if model.get("type") == "math":
        return set(re.findall(r"\$\{?([A-Z][A-Za-z0-9_]*)", model["expression"]))
    return {model["expression"]}


def test_alert_rules_reference_what_exists():
    uids = [rule["uid"] for rule in RULES]
    assert len(uids) == len(set(uids))
    panels = {(b["uid"], p["id"]) for b in DASHBOARDS.values() for p in b["panels"]}
    for rule in RULES:
        label = rule["uid"]
        refs = {item["refId"]: item for item in rule["data"]}
        assert len(refs) == len(rule["data"]), label
        assert rule["condition"] in refs, label
        assert rule["noDataState"] in STATES and rule["execErrState"] in STATES, label
        assert re.fullmatch(r"\d+[smh]", rule["for"]), label
        assert "$" not in repr(rule["labels"]), f"{label}: labels are environment-expanded"
        for item in rule["data"]:
            assert item["model"]["refId"] == item["refId"], label
            if item["datasourceUid"] == grafana.EXPRESSION_UID:
                assert _references(item["model"]) <= set(refs) - {item["refId"]}, label
            else:
                assert item["datasourceUid"] in DATASOURCES, label
                assert item["relativeTimeRange"]["from"] > 0, label
        if "dashboardUid" in rule:
            assert (rule["dashboardUid"], rule["panelId"]) in panels, label


def test_alert_rules_cover_the_seed_and_the_issue():
    by_uid = {rule["uid"]: rule for rule in RULES}
    assert set(EXPECTED_FIRING) <= set(by_uid)
    aws = {uid for uid, rule in by_uid.items() if _datasource_types(rule) == {"cloudwatch"}}
    assert aws == {"taxi-api-cpu-high", "taxi-api-network-zero", "taxi-api-server-down"}
    metrics = {
        item["model"]["metricName"]
        for uid in aws
        for item in by_uid[uid]["data"]
        if item["datasourceUid"] != grafana.EXPRESSION_UID
    }
    assert metrics == {"CPUUtilization", "NetworkIn", "NetworkOut", "StatusCheckFailed"}


def _datasource_types(rule: dict[str, Any]) -> set[str]:
    return {
        DATASOURCES[item["datasourceUid"]]["type"]
        for item in rule["data"]
        if item["datasourceUid"] != grafana.EXPRESSION_UID
    }


def test_slack_contact_point_takes_its_webhook_from_the_environment():
    files = grafana.load_yaml_folder(grafana.PROVISIONING_DIR / "alerting")
    points = [point for config in files.values() for point in config.get("contactPoints", [])]
    [policy] = [policy for config in files.values() for policy in config.get("policies", [])]
    [slack] = [r for point in points for r in point["receivers"] if r["type"] == "slack"]
    assert ENV_REFERENCE.match(slack["settings"]["url"])
    assert policy["receiver"] in {point["name"] for point in points}


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


@pytest.mark.parametrize("source", sorted(SQL_QUERIES))
def test_query_text_is_one_select_that_writes_nothing(source: str):
    text = _without_comments(SQL_QUERIES[source].sql).strip()
    assert re.match(r"(?i)(select|with)\b", text), f"{source}: not a SELECT"
    assert ";" not in text, f"{source}: more than one statement"
    assert not WRITE_KEYWORDS.search(re.sub(r"'[^']*'", "''", text)), source


def test_alert_queries_use_no_dollar():
    """Rule queries are not environment-expanded, but keep them macro-free: they run
    without a dashboard, so a `$` could only be a mistake."""
    for query in grafana.alert_queries():
        assert "$" not in query.sql, query.source


def test_macros_expand_to_the_sql_grafana_sends():
    start = datetime(2025, 8, 25, 3, tzinfo=UTC)
    end = datetime(2025, 8, 26, 3, 0, 59, 999, tzinfo=UTC)
    sql = 'WHERE $__timeFilter("timestamp") AND x > $__timeFrom() AND x < $__timeTo()'
    assert grafana.expand_macros(sql, start, end) == (
        "WHERE \"timestamp\" BETWEEN '2025-08-25T03:00:00Z' AND '2025-08-26T03:00:59Z' "
        "AND x > '2025-08-25T03:00:00Z' AND x < '2025-08-26T03:00:59Z'"
    )
    for unknown in ("$__timeGroupAlias(t, '1h')", "$zone", "${zone}"):
        with pytest.raises(ValueError, match="unsupported"):
            grafana.expand_macros(f"SELECT {unknown}", start, end)


# ---------------------------------------------------------------- the queries on data


@pytest.fixture(scope="module")
def simulated(stack, resources, daily_stats_db, postgres_db, gold_db, zone_csv) -> datetime:
    zones = busy_zones(zone_csv)
    seed_zone_models(postgres_db, zones)
    seed_marts(gold_db)
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            materialize_zones(resources, instance)
            yield simulate_counters(resources, daily_stats_db, zones, instance)
    finally:
        clear_counters()
        clear_tables(daily_stats_db)
        with postgres_db.transaction() as conn:
            clear_zone_models(conn)
        with gold_db.transaction() as conn:
            clear_marts(conn)


@pytest.fixture(scope="module")
def reader(stack_env) -> BiReader:
    return BiReader(stack_env["TAXI_BI_READER_URL"])


@pytest.fixture(scope="module")
def results(simulated: datetime, reader: BiReader) -> dict[str, Result]:
    """Every query's result for the 24 hours up to the end of the simulation."""
    start, end = simulated - timedelta(hours=24), simulated
    return {
        source: reader.run(
            DATABASES[query.datasource_uid], grafana.expand_macros(query.sql, start, end)
        )
        for source, query in SQL_QUERIES.items()
    }


@pytest.mark.parametrize("source", sorted(SQL_QUERIES))
def test_query_returns_rows(source: str, results: dict[str, Result]):
    query, result = SQL_QUERIES[source], results[source]
    assert result.rows, f"{source} {query.title!r}: no rows"
    for column in result.columns:
        assert any(v is not None for v in result.column(column)), f"{source}: {column} all NULL"
    if query.panel_type in TIME_SERIES_PANELS:
        assert "time" in result.columns, f"{source}: time series without a time column"
        times = result.column("time")
        assert all(isinstance(t, datetime) for t in times), source
        assert times == sorted(times), f"{source}: time not ascending"


def _fires(rule: dict[str, Any], results: dict[str, Result]) -> bool:
    """Grafana's verdict for a rule of one SQL query (one row, one number) and a threshold."""
    [query] = [i for i in rule["data"] if i["datasourceUid"] != grafana.EXPRESSION_UID]
    [threshold] = [i["model"] for i in rule["data"] if i["refId"] == rule["condition"]]
    [[value]] = results[f"{rule['uid']}/{query['refId']}"].rows
    [condition] = threshold["conditions"]
    operator, [limit] = condition["evaluator"]["type"], condition["evaluator"]["params"]
    return {"gt": value > limit, "lt": value < limit, "gte": value >= limit}[operator]


@pytest.mark.parametrize("uid", sorted(EXPECTED_FIRING))
def test_alert_rules_on_the_simulated_data(uid: str, results: dict[str, Result]):
    [rule] = [rule for rule in RULES if rule["uid"] == uid]
    assert _fires(rule, results) is EXPECTED_FIRING[uid]


def test_reader_refuses_writes_and_other_roles(reader: BiReader, stack_env):
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        reader.run("daily_stats_db", "DELETE FROM daily_zone_stats")
    with pytest.raises(ConfigError, match="bi_reader"):
        BiReader(stack_env["TAXI_DAILY_STATS_URL"])


def test_every_dashboard_renders_as_a_picture_page(results: dict[str, Result], simulated):
    """What `bi screenshots` draws, on the same results: every panel has a chart or table."""
    for name, board in DASHBOARDS.items():
        by_panel = {q.panel_id: results[q.source] for q in grafana.panel_queries(board)}
        page = render_page(board, by_panel, f"test {simulated:%Y-%m-%d}")
        assert page.count('<section class="panel"') == len(board["panels"]), name
        assert "No data" not in page, name
        for panel in board["panels"]:
            assert html.escape(panel["title"]) in page, (name, panel["title"])


# ---------------------------------------------------------------- times as people read them

OTHER_ZONE = "America/New_York"  # 14 hours from Seoul: another "yesterday", other midnights


def test_dashboards_name_no_time_zone():
    """Times follow the business time zone (TAXI_TIMEZONE), so no dashboard may fix one: the
    counters database's default TimeZone puts the SQL's dates and hours in it, and Grafana's
    default zone (GF_USERS_DEFAULT_TIMEZONE) shows them in it."""
    for name, board in DASHBOARDS.items():
        text = json.dumps(board)
        assert not ZONE_NAME.search(text), f"{name} names {ZONE_NAME.search(text).group()}"
        assert "AT TIME ZONE" not in text.upper(), name
        assert board["timezone"] == "", f"{name}: a fixed display zone"
    for query in grafana.alert_queries():
        assert not ZONE_NAME.search(query.sql), query.source


def test_counters_database_reads_in_the_business_time_zone(reader: BiReader, simulated, stack_env):
    [[zone]] = reader.run("daily_stats_db", "SHOW TimeZone").rows
    assert zone == timezone()
    environment = grafana_environment(stack_env["TAXI_BI_READER_URL"])
    assert environment["GF_USERS_DEFAULT_TIMEZONE"] == timezone()


@contextlib.contextmanager
def _counters_database_in(zone: str, daily_stats_db: PostgresResource) -> Iterator[None]:
    """daily_stats_db as the pipeline leaves it with TAXI_TIMEZONE=`zone`; then as before."""

    def apply(time_zone: str) -> None:
        resource = PostgresResource(
            url=daily_stats_db.url,
            url_variable=daily_stats_db.url_variable,
            schema_sql=daily_stats_db.schema_sql,
            time_zone=time_zone,
        )
        with resource.transaction():
            pass

    apply(zone)
    try:
        yield
    finally:
        apply(timezone())


def _yesterday_in(zone: str, diffs: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The panels' "yesterday" in `zone`: the business day (03:00 cut-off) of the hour after
    the newest hour, minus one day, as [start, end) instants."""
    newest = diffs["timestamp"].max().tz_convert(zone).tz_localize(None)
    day = (newest + pd.Timedelta(hours=1) - pd.Timedelta(hours=3)).normalize() - pd.Timedelta(
        days=1
    )
    start = (day + pd.Timedelta(hours=3)).tz_localize(zone)
    return start, (day + pd.Timedelta(days=1, hours=3)).tz_localize(zone)


def test_yesterday_panels_follow_the_business_time_zone(
    simulated, reader: BiReader, daily_stats_db: PostgresResource
):
    """The zone panels' "yesterday" and the weekly days equal pandas in Seoul and in New York
    (a deployment with another TAXI_TIMEZONE), and the two differ."""
    [top] = grafana.panel_queries(DASHBOARDS["zone_recommendation"])[3:4]
    [per_day] = grafana.panel_queries(DASHBOARDS["weekly"])[2:3]
    diffs = daily_stats_db.fetch_frame(
        'SELECT "timestamp", zone_id, dispatch_minus_pickup FROM zone_diff_stats'
    )
    diffs["timestamp"] = pd.to_datetime(diffs["timestamp"], utc=True)
    days = sorted(
        r["stat_date"] for r in daily_stats_db.fetch_all("SELECT stat_date FROM daily_zone_stats")
    )
    last_week = [d for d in days if d > days[-1] - timedelta(days=7)]
    answers = {}
    for zone in (timezone(), OTHER_ZONE):
        start, end = _yesterday_in(zone, diffs)
        hours = diffs[(diffs["timestamp"] >= start) & (diffs["timestamp"] < end)]
        sums = hours.groupby("zone_id")["dispatch_minus_pickup"].sum().reset_index()
        ranked = sums.sort_values(["dispatch_minus_pickup", "zone_id"], ascending=[False, True])
        expected = [(z, int(v)) for z, v in ranked.head(10).itertuples(index=False)]
        with _counters_database_in(zone, daily_stats_db):
            shown = reader.run("daily_stats_db", top.sql)
            times = reader.run("daily_stats_db", per_day.sql).column("time")
        assert [(z, int(v)) for z, v in shown.rows] == expected, zone
        assert times == [pd.Timestamp(d).tz_localize(zone).to_pydatetime() for d in last_week]
        assert all(t.astimezone(ZoneInfo(zone)).hour == 0 for t in times), zone
        answers[zone] = expected
    assert answers[timezone()] != answers[OTHER_ZONE]


def test_live_cumulative_restarts_at_the_last_reset(
    simulated: datetime, results: dict[str, Result], daily_stats_db: PostgresResource
):
    """The cumulative panel's first point is the first snapshot after the last reset (so it
    starts from the new day's first counts, not the day before's total), and every point is
    the sum over zones of that snapshot."""
    start, end = simulated - timedelta(hours=24), simulated
    snapshots = daily_stats_db.fetch_frame(
        "SELECT captured_at, dispatch_count, pickup_count FROM zone_hourly_activity_log "
        "WHERE captured_at BETWEEN %s AND %s",
        [start.replace(microsecond=0), end.replace(microsecond=0)],
    )
    resets = daily_stats_db.fetch_frame(
        "SELECT reset_at FROM counter_resets WHERE status = 'applied'"
    )
    snapshots["captured_at"] = pd.to_datetime(snapshots["captured_at"], utc=True)
    reset_at = pd.to_datetime(resets["reset_at"], utc=True)
    newest = snapshots["captured_at"].max()
    last_reset = reset_at[reset_at <= newest].max()
    assert (snapshots["captured_at"] < last_reset).any(), "no snapshot of the day before"
    today = snapshots[snapshots["captured_at"] > last_reset]
    sums = today.groupby("captured_at")[["dispatch_count", "pickup_count"]].sum().sort_index()
    expected = [(t.to_pydatetime(), int(d), int(p)) for t, d, p in sums.itertuples()]
    panel = results["taxi-live/7"]
    assert [(t, int(d), int(p)) for t, d, p in panel.rows] == expected


# ---------------------------------------------------------------- secrets and roles


def _grafana_texts() -> dict[str, str]:
    return {str(p): p.read_text() for p in grafana.GRAFANA_DIR.rglob("*") if p.is_file()}


def test_grafana_files_name_only_bi_reader_and_hold_no_secret(stack):
    state = stack.load()
    secrets = [*state["passwords"].values(), state["fernet_key"]]
    for name, text in _grafana_texts().items():
        for role in OTHER_ROLES:
            assert not re.search(rf"\b{role}\b", text), f"{name} names role {role}"
        assert not any(secret in text for secret in secrets), f"{name} holds a stack secret"
        assert not [p for _u, p in URI_USER.findall(text) if p], f"{name} has a URI password"
        assert not re.search(r"hooks\.slack\.com/services/\w", text), f"{name}: a webhook"


def test_grafana_hint_writes_an_owner_only_env_file_and_prints_no_secret(tmp_path, stack_env):
    url = stack_env["TAXI_BI_READER_URL"]
    hint = grafana_hint(url, tmp_path)
    env_file = tmp_path / "grafana.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    reader = urlsplit(url)
    assert values["TAXI_BI_READER_ADDRESS"] == f"{reader.hostname}:{reader.port}"
    assert values["TAXI_BI_READER_PASSWORD"] == reader.password
    assert values["TAXI_BI_READER_SSLMODE"] == "disable"
    assert reader.password not in hint
    assert f"--env-file {env_file}" in hint and str(grafana.PROVISIONING_DIR) in hint
    referenced = set(re.findall(r"\$\{?(TAXI_[A-Z0-9_]+)", "".join(_grafana_texts().values())))
    assert referenced <= set(values), "a provisioning variable the env file does not set"
