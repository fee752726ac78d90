"""Benchmark: Silver + Gold for one simulated day, Spark against DuckDB on the same Silver file.

Run by hand (not a test): `uv run python bench/bench_gold.py [--scales 1 100]`.
Scale 1 is the seed's rate (100 records per 3-minute window, 48,000 a day); scale 100 is
100× that (4.8 M). For each scale, on a fresh embedded stack: bronze for the day is written
from the log API simulator (not timed), then `click_events` and the marts are materialized
with the real resources (moto S3, PostgreSQL, spark-submit local mode), and DuckDB computes
the same four marts from the same Silver Parquet file in this process; its rows must equal
the published ones. Times:
- Silver: the `click_events` run (read 24 bronze hours, decode, type, dedupe, write Parquet);
- Spark start: spark-submit wall time − the job's own compute (JVM, driver, session, stop);
- Spark compute: read Silver + the four marts + silver_counts written as Parquet;
- load: read the results, checks, delete + COPY of the four tables in one transaction;
- DuckDB: the four marts from the Silver file (threads = cores, like local[N]).
Prints a Markdown table; copy it with the machine into bench/RESULTS.md.
"""

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from psycopg import sql

from taxi_platform.defs.clicks.click_events import click_events, day_hours, silver_key
from taxi_platform.defs.clicks.mart_tables import MART_NAMES, MARTS
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.resources.wiring import build_resources
from taxi_platform_dev.domains.clicks.simulated_bronze import write_hours
from taxi_platform_dev.domains.logs.simulator import LogApiSimulator, SimulatorConfig
from taxi_platform_dev.local.stack import Stack

DAY = date(2026, 4, 1)
SEED_RATE = 100  # records per 3-minute window
DUCKDB_MARTS = {
    "mart_session_analysis": """
        SELECT session_id, event_date, count(*) AS click_count,
               count(DISTINCT CASE WHEN event_kind = 'view' THEN document_id END) AS unique_docs,
               min(event_ts) AS first_click_ts, max(event_ts) AS last_click_ts,
               (epoch_us(max(event_ts)) - epoch_us(min(event_ts))) / 1e6 AS session_duration_sec
        FROM silver GROUP BY session_id, event_date""",
    "mart_daily_traffic": """
        WITH hourly AS (
            SELECT event_date, hour(event_ts) AS hour, count(*) AS events
            FROM silver GROUP BY event_date, hour(event_ts)),
        traffic AS (
            SELECT event_date, sum(events) AS total_events,
                   first(hour ORDER BY events DESC, hour ASC) AS peak_hour
            FROM hourly GROUP BY event_date),
        distinct_counts AS (
            SELECT event_date, count(DISTINCT session_id) AS unique_sessions,
                   count(DISTINCT CASE WHEN event_kind = 'view' THEN document_id END)
                       AS unique_documents
            FROM silver GROUP BY event_date)
        SELECT event_date, total_events, unique_sessions, unique_documents, peak_hour
        FROM traffic JOIN distinct_counts USING (event_date)""",
    "mart_clinical_areas": """
        SELECT event_date, clinical_area, count(*) AS search_count,
               count(DISTINCT session_id) AS unique_sessions
        FROM silver WHERE event_kind = 'search' AND clinical_area IS NOT NULL
        GROUP BY event_date, clinical_area""",
    "mart_popular_documents": """
        SELECT event_date, document_id,
               first(title ORDER BY event_ts DESC, title ASC) AS title,
               count(*) AS view_count, count(DISTINCT session_id) AS unique_sessions
        FROM silver WHERE event_kind = 'view' GROUP BY event_date, document_id""",
}


def duckdb_marts(silver_file: Path) -> tuple[dict[str, pd.DataFrame], float]:
    """The four marts computed by DuckDB from the Silver file; (frames, seconds)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    connection.execute(f"CREATE VIEW silver AS SELECT * FROM read_parquet('{silver_file}')")
    frames = {
        name: connection.sql(query).to_arrow_table().to_pandas()
        for name, query in DUCKDB_MARTS.items()
    }
    return frames, time.perf_counter() - started


def assert_same_rows(published: dict[str, pd.DataFrame], computed: dict[str, pd.DataFrame]):
    for mart in MARTS:
        columns = [c.name for c in mart.columns]
        ours, theirs = (
            frame[columns].sort_values(list(mart.key)).reset_index(drop=True)
            for frame in (published[mart.name], computed[mart.name])
        )
        for column in ("first_click_ts", "last_click_ts"):
            if column in columns:
                ours[column] = pd.to_datetime(ours[column], utc=True)
                theirs[column] = pd.to_datetime(theirs[column], utc=True)
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def run_scale(scale: int, work: Path) -> dict[str, float]:
    resources = build_resources("local")
    live = {key: resources[key].process_config_and_initialize() for key in ("lake", "gold_db")}
    lake, gold_db = live["lake"], live["gold_db"]
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    simulator = LogApiSimulator(SimulatorConfig(start=start, records_per_window=SEED_RATE * scale))
    generated = time.perf_counter()
    events = sum(write_hours(lake.get_client(), lake.bucket, simulator, day_hours(DAY)).values())
    print(f"  bronze: {events:,} records in {time.perf_counter() - generated:.0f} s", flush=True)

    started = time.perf_counter()
    dg.materialize([click_events], partition_key=DAY.isoformat(), resources=resources)
    silver_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = dg.materialize(
        [click_events, gold_marts],
        selection=list(MART_NAMES),
        partition_key=DAY.isoformat(),
        resources=resources,
    )
    gold_seconds = time.perf_counter() - started
    metadata = result.asset_materializations_for_node("gold_marts")[0].metadata

    silver_file = work / f"silver-{scale}.parquet"
    silver_file.write_bytes(lake.get_bytes(silver_key(DAY)))
    computed, duckdb_seconds = duckdb_marts(silver_file)
    published = {
        name: gold_db.fetch_frame(
            sql.SQL("SELECT * FROM {} WHERE event_date = %s").format(sql.Identifier(name)), [DAY]
        )
        for name in MART_NAMES
    }
    assert_same_rows(published, computed)
    return {
        "events": events,
        "silver": silver_seconds,
        "spark_start": metadata["spark_start_seconds"].value,
        "spark_compute": metadata["spark_compute_seconds"].value,
        "load": metadata["load_seconds"].value,
        "gold": gold_seconds,
        "duckdb": duckdb_seconds,
        "sessions": len(published["mart_session_analysis"]),
    }


def print_table(rows: dict[int, dict[str, float]]) -> None:
    print(
        "| rate | events | sessions | Silver (s) | Spark start (s) | Spark compute (s) "
        "| load (s) | Gold run (s) | DuckDB (s) | Spark compute / DuckDB | Spark start+compute "
        "/ DuckDB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for scale, r in rows.items():
        spark = r["spark_start"] + r["spark_compute"]
        print(
            f"| {scale}× | {r['events']:,} | {r['sessions']:,} | {r['silver']:.1f} "
            f"| {r['spark_start']:.1f} | {r['spark_compute']:.1f} | {r['load']:.1f} "
            f"| {r['gold']:.1f} | {r['duckdb']:.2f} | {r['spark_compute'] / r['duckdb']:.1f}× "
            f"| {spark / r['duckdb']:.1f}× |"
        )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 100])
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "stack", say=lambda _m: None)
        stack.up()
        os.environ.update(stack.env())
        try:
            for scale in args.scales:
                print(f"scale {scale}× ({SEED_RATE * scale} records per window)", flush=True)
                rows[scale] = run_scale(scale, Path(tmp))
        finally:
            stack.down()
    print(f"\nMachine: {machine()}, {date.today()}\n")
    print_table(rows)


if __name__ == "__main__":
    main()
