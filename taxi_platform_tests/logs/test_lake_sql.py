"""SQL over the lake: the DuckDB catalogue (`infra/lake/views`), the query set
(`infra/lake/queries`) and `taxi-platform sql`, on data the platform's own assets wrote to the
session stack's S3 (landing → `api_logs` for two hours, `click_events` for their day) plus two
generated TLC months, each answer checked against pandas over the simulator's own records or
the generated tables. The views must match the Glue tables Athena reads
(`infra/aws/taxi-platform.yaml`): same columns, the partition keys last, and every query of the
set binds against the Glue schemas alone.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date, timedelta

import boto3
import dagster as dg
import duckdb
import pandas as pd
import pytest
from cryptography.fernet import Fernet

from taxi_platform.defs.clicks.click_events import click_events
from taxi_platform.defs.logs.codec import encode_hour_object, hour_object_key
from taxi_platform.defs.zones.trip_files import trip_key
from taxi_platform.resources.log_api import LogApiResource
from taxi_platform.settings import ConfigError
from taxi_platform_dev.cli import main
from taxi_platform_dev.domains.logs.simulator import (
    LogApiSimulator,
    SimulatorConfig,
    start_in_thread,
)
from taxi_platform_dev.domains.zones.simulator import generate_month, upload_month
from taxi_platform_dev.lake.catalogue import (
    lake_environment,
    open_catalogue,
    queries,
    run_query,
    view_columns,
    views,
)
from taxi_platform_dev.lake.shell import interactive
from taxi_platform_tests.clicks.reference_marts import events
from taxi_platform_tests.deploy.test_aws_stack import template
from taxi_platform_tests.logs.conftest import delete_prefixes
from taxi_platform_tests.logs.helpers import build, day_start, replay, silver_day_prefixes
from taxi_platform_tests.support import QUIET

DAY = date(2026, 2, 25)
HOURS = [day_start(DAY) + timedelta(hours=h) for h in (9, 10)]
WINDOWS = range(9 * 20, 11 * 20 + 4)  # 3-minute windows from 09:00 to 11:12 (read window)
# Two TLC shapes: 2019 (wider types, lower-case airport_fee) and 2025 (cbd_congestion_fee).
MONTHS = {"2019-07": 700, "2025-03": 900}
GLUE_TYPES = {  # Glue (Hive) type → the DuckDB type of the view's column
    "string": {"VARCHAR"},
    "int": {"INTEGER"},
    "smallint": {"SMALLINT"},
    "bigint": {"BIGINT"},
    "double": {"DOUBLE"},
    "date": {"DATE"},
    "timestamp": {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"},
}
EMPTY_TABLE_TYPES = {"string": "VARCHAR", "timestamp": "TIMESTAMPTZ"}


@pytest.fixture(scope="module")
def lake_data(stack_env, resources, lake, zone_csv) -> Iterator[dict]:
    """Two hours of logs landed and built by the real assets, their day in Silver, two TLC
    months in the lake; all removed afterwards."""
    prefixes = [*silver_day_prefixes(DAY), f"late/api_logs/{DAY:%Y/%m/%d}/"]
    delete_prefixes(lake, prefixes)
    simulator = LogApiSimulator(
        SimulatorConfig(start=day_start(DAY), seed=16, records_per_window=8)
    )
    url, stop = start_in_thread(simulator, Fernet(stack_env["TAXI_LOG_FERNET_KEY"]))
    api = LogApiResource(url=f"{url}/logs", fernet_key=dg.EnvVar("TAXI_LOG_FERNET_KEY"))
    try:
        with_api = {**resources, "log_api": api}
        replay(with_api, WINDOWS[0], WINDOWS[-1])
        build(with_api, f"{HOURS[0]:%Y-%m-%d-%H:%M}", f"{HOURS[-1]:%Y-%m-%d-%H:%M}")
    finally:
        stop()
    for h in range(24):  # the other hours of the day, empty: Silver's day is complete
        hour = day_start(DAY) + timedelta(hours=h)
        if hour not in HOURS:
            lake.put_bytes(hour_object_key(hour), encode_hour_object([]), "application/gzip")
    silver = dg.materialize(
        [click_events], partition_key=DAY.isoformat(), resources=resources, run_config=QUIET
    )
    assert silver.success
    trips = {m: generate_month(m, rows, 3, zone_csv) for m, rows in MONTHS.items()}
    for month, table in trips.items():
        upload_month(lake.get_client(), lake.bucket, table, month)
    served = [r for k in WINDOWS for r in simulator.window_records(k)]
    yield {"served": served, "trips": {m: t.to_pandas() for m, t in trips.items()}}
    delete_prefixes(lake, prefixes)
    for month in MONTHS:
        lake.get_client().delete_object(Bucket=lake.bucket, Key=trip_key(month))


@pytest.fixture(scope="module")
def catalogue(lake_data, stack_env):
    opened = open_catalogue(stack_env)
    yield opened
    opened.connection.close()


def _served_in_hours(served: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(served)
    frame["ts"] = pd.to_datetime(frame["inDate"], format="ISO8601", utc=True)
    frame["hour"] = frame["ts"].dt.floor("h")
    return frame[frame["hour"].isin(HOURS)]


def test_bronze_view_decodes_what_the_log_api_served(catalogue, lake_data):
    rows = catalogue.connection.execute(
        "SELECT user_id, session_id, method, url, indate, query, clinical_area, document_id, "
        "title FROM api_logs WHERE hour IN (?, ?)",
        [f"{h:%Y/%m/%d/%H}" for h in HOURS],
    ).fetchall()
    want = _served_in_hours(lake_data["served"]).drop_duplicates(subset=None)
    fields = ["user_id", "session_id", "method", "url", "inDate", "query", "clinical_area"]
    expected = [
        (
            *(r[f] if isinstance(r[f], str) else None for f in fields),
            None if pd.isna(r["document_id"]) else int(r["document_id"]),
            r["title"] if isinstance(r["title"], str) else None,
        )
        for r in want.drop(columns=["ts", "hour"]).astype(object).to_dict("records")
    ]
    assert len(rows) == len(expected) > 300
    assert sorted(rows, key=repr) == sorted(expected, key=repr)


def test_records_per_source_hour(catalogue, lake_data):
    columns, rows = run_query(catalogue.connection, "records_per_source_hour", [DAY.isoformat()])
    assert columns == ["hour", "records", "sessions"]
    frame = _served_in_hours(lake_data["served"])
    frame = frame.loc[frame.drop(columns=["ts", "hour"]).astype(str).drop_duplicates().index]
    by_hour = frame.groupby("hour").agg(records=("url", "size"), sessions=("session_id", "nunique"))
    empty_hours = 22  # written empty so the day is complete: no rows, so not listed
    assert len(rows) == 24 - empty_hours
    assert rows == [
        (f"{hour:%Y/%m/%d/%H}", int(row.records), int(row.sessions))
        for hour, row in by_hour.iterrows()
    ]


def _silver_reference(lake_data) -> pd.DataFrame:
    """Distinct served records of the two hours built (the day's other hours are empty)."""
    ev = events(lake_data["served"], [DAY])
    return ev[ev["ts"].dt.floor("h").isin(HOURS)]


def test_sessions_per_hour_and_top_documents_equal_pandas_over_the_served_records(
    catalogue, lake_data
):
    ev = _silver_reference(lake_data)
    _, sessions = run_query(catalogue.connection, "sessions_per_hour", [DAY.isoformat()])
    by_hour = ev.groupby(ev["ts"].dt.hour).agg(sessions=("session_id", "nunique"), n=("ts", "size"))
    assert sessions == [(h, int(r.sessions), int(r.n)) for h, r in by_hour.iterrows()]
    assert [h for h, *_ in sessions] == [9, 10]

    _, top = run_query(catalogue.connection, "top_documents", [DAY.isoformat()])
    views_ = ev[ev["document_id"].notna()]
    per_doc = views_.groupby("document_id").agg(
        title=("title", "max"), views=("ts", "size"), users=("user_id", "nunique")
    )
    per_doc = per_doc.reset_index().sort_values(["views", "document_id"], ascending=[False, True])
    expected = [
        (int(r.document_id), r.title, int(r.views), int(r.users))
        for r in per_doc.head(10).itertuples()
    ]
    assert top == expected and len(top) == 10


def test_trip_months_in_both_tlc_shapes(catalogue, lake_data):
    connection = catalogue.connection
    counts = dict(
        connection.execute(
            "SELECT month, count(*) FROM tlc_trips WHERE month IN (?, ?) GROUP BY month",
            list(MONTHS),
        ).fetchall()
    )
    assert counts == MONTHS
    for month, frame in lake_data["trips"].items():
        _, rows = run_query(connection, "trips_per_pickup_zone", [month])
        grouped = frame.groupby("PULocationID").agg(
            trips=("fare_amount", "size"), fare=("fare_amount", "mean")
        )
        grouped = grouped.reset_index().sort_values(
            ["trips", "PULocationID"], ascending=[False, True]
        )
        assert [(r[0], r[1]) for r in rows] == [
            (int(r.PULocationID), int(r.trips)) for r in grouped.head(20).itertuples()
        ]
        assert [r[2] for r in rows] == pytest.approx(list(grouped.head(20)["fare"]), abs=0.006)
    cbd = connection.execute(
        "SELECT month, count(cbd_congestion_fee) FROM tlc_trips WHERE month IN (?, ?) "
        "GROUP BY month ORDER BY month",
        list(MONTHS),
    ).fetchall()
    assert cbd == [("2019-07", 0), ("2025-03", MONTHS["2025-03"])]


def test_sql_command_prints_the_count_of_click_events(lake_data, capsys):
    """With the stack's variables exported (`eval "$(taxi-platform stack env)"`, or AWS)."""
    want = len(_silver_reference(lake_data))
    assert (
        main(
            [
                "sql",
                "--csv",
                "-c",
                f"SELECT count(*) AS n FROM click_events WHERE event_date = DATE '{DAY}'",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["n", str(want)]
    assert main(["sql", "-c", "SELECT * FROM no_such_table"]) == 1
    assert "no_such_table" in capsys.readouterr().err
    assert main(["sql", "-q", "top_documents"]) == 2
    assert "takes 1 parameter(s) (day), got 0" in capsys.readouterr().err


def test_sql_command_finds_the_running_stack_without_its_variables(
    stack, lake_data, monkeypatch, capsys
):
    """A fresh shell after `taxi-platform stack up` (or `demo --keep`): nothing exported."""
    for name in [k for k in os.environ if k.startswith(("AWS_", "TAXI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TAXI_STACK_HOME", str(stack.home))
    query = f"SELECT count(*) FROM click_events WHERE event_date = DATE '{DAY}'"
    assert main(["sql", "--csv", "-c", query]) == 0
    assert capsys.readouterr().out.splitlines()[1] == str(len(_silver_reference(lake_data)))


def test_interactive_shell_runs_statements_across_lines_and_dot_commands(catalogue, lake_data):
    want = len(_silver_reference(lake_data))
    typed = io.StringIO(
        ".tables\nSELECT count(*) AS n\n  FROM click_events\n WHERE event_date = DATE '"
        f"{DAY}';\n.queries\n.quit\nSELECT 'not run';\n"
    )
    out = io.StringIO()
    assert interactive(catalogue, typed, out, as_csv=True) == 0
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["api_logs", "click_events", "tlc_trips"]
    assert lines[3:5] == ["n", str(want)]
    assert sorted(line.split("(")[0] for line in lines[5:]) == sorted(queries())


def _glue_tables() -> dict[str, dict]:
    resources = template()["Resources"]
    return {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]["TableInput"]
        for r in resources.values()
        if r["Type"] == "AWS::Glue::Table"
    }


def test_views_have_the_columns_of_the_glue_tables_partition_keys_last(catalogue):
    glue = _glue_tables()
    assert sorted(glue) == sorted(v.name for v in views()) == sorted(catalogue.tables)
    for view in views():
        table = glue[view.name]
        glue_columns = [
            (c["Name"], c["Type"])
            for c in [*table["StorageDescriptor"]["Columns"], *table.get("PartitionKeys", [])]
        ]
        got = view_columns(catalogue.connection, view.name)
        assert [name for name, _ in got] == [n for n, _ in glue_columns] + list(
            view.path_columns
        ), view.name
        for (name, duck_type), (_, glue_type) in zip(got, glue_columns, strict=False):
            if name not in view.decoded:
                assert duck_type in GLUE_TYPES[glue_type], (view.name, name, duck_type)
        # every partition key is projected, on the folder the view reads
        parameters = table["Parameters"]
        for key in table.get("PartitionKeys", []):
            assert parameters[f"projection.{key['Name']}.type"] == "date", view.name
            location = parameters["storage.location.template"]["Sub"]
            assert location.startswith(f"s3://${{LakeBucket}}/{view.source}"), view.name
            assert f"${{!{key['Name']}}}" in location, view.name
        assert (
            table["StorageDescriptor"]["Location"]["Sub"] == f"s3://${{LakeBucket}}/{view.source}"
        )


def test_every_query_binds_against_the_glue_schemas_alone():
    """Empty tables built from the template only: a query naming a column Athena lacks fails."""
    connection = duckdb.connect()
    for name, table in _glue_tables().items():
        columns = [*table["StorageDescriptor"]["Columns"], *table.get("PartitionKeys", [])]
        paths = next(v.path_columns for v in views() if v.name == name)
        spec = [
            f'"{c["Name"]}" {EMPTY_TABLE_TYPES.get(c["Type"], c["Type"].upper())}' for c in columns
        ] + [f'"{p}" VARCHAR' for p in paths]
        connection.execute(f'CREATE TABLE "{name}" ({", ".join(spec)})')
    connection.execute("SET TimeZone = 'UTC'")
    assert len(queries()) >= 4
    for query in queries().values():
        params = ["2026-02-25" if p == "day" else "2026-02" for p in query.params]
        assert connection.execute(query.sql, params).fetchall() == [], query.name
    with pytest.raises(duckdb.BinderException):
        connection.execute("SELECT event_ts FROM api_logs")  # Silver's column, not bronze's


def test_an_empty_lake_leaves_the_views_out_and_names_them(stack_env):
    bucket = "lake-sql-empty-test"
    endpoint = stack_env["AWS_ENDPOINT_URL"]
    boto3.client("s3", endpoint_url=endpoint, region_name=stack_env["AWS_REGION"]).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": stack_env["AWS_REGION"]}
    )
    opened = open_catalogue({**stack_env, "TAXI_LAKE_BUCKET": bucket})
    assert opened.tables == []
    assert [note.split(":")[0] for note in opened.notes()] == [v.name for v in views()]
    assert f"nothing under s3://{bucket}/silver/click_events/ yet" in " ".join(opened.notes())


def test_without_an_endpoint_or_a_running_stack_the_error_says_what_to_start(
    tmp_path, monkeypatch, capsys
):
    for name in [k for k in os.environ if k.startswith(("AWS_", "TAXI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TAXI_STACK_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="taxi-platform stack up"), lake_environment():
        pass
    assert main(["sql", "-c", "SELECT 1"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("taxi-platform: error: no lake to read")
