"""Benchmark: loading an Arrow table into PostgreSQL, the project's path against psycopg's
COPY and against the server's own floor.

Run by hand (not a test): `uv run python bench/bench_copy.py [--rows 1500000] [--repeat 3]`.
Starts its own embedded stack in a temporary folder and replaces one day of
`gold.mart_session_analysis` (the 100x Gold day of bench_gold.py has 1.56 M such rows) by
each path, delete + load in one transaction as `replace_partition` does; prints a Markdown
table of medians (rounds interleave the paths, so load spikes hit all alike) with the load
average. Ratios are against the floor, measured in the same run.
- project: `PostgresResource.replace_partition`, binary COPY through ADBC (arrow_copy.py);
- psycopg CSV: the path before, `copy_arrow` (Arrow's CSV writer into `COPY … (FORMAT csv)`);
- psycopg rows: `copy_rows(arrow_rows(table))`, psycopg's `write_row` per row (how tables
  with a list column loaded before);
- floor: `INSERT … SELECT` of the same rows already in the database (another day of the same
  table): the server's own cost of writing them, no client and no parsing.
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
from bench_common import bench_stack

TABLE = "mart_session_analysis"


def sessions(rows: int) -> pa.Table:
    rng = np.random.default_rng(0)
    first = datetime(2026, 3, 1, tzinfo=UTC) + as_timedeltas(rng.integers(0, 86_400, rows))
    duration = rng.integers(0, 3_600, rows)
    last = first + as_timedeltas(duration)
    utc = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "session_id": pa.array([f"s{i:012x}" for i in range(rows)]),
            "event_date": pa.array([date(2026, 3, 1)] * rows, pa.date32()),
            "click_count": pa.array(rng.integers(1, 40, rows), pa.int32()),
            "unique_docs": pa.array(rng.integers(1, 20, rows), pa.int32()),
            "first_click_ts": pa.array(first, utc),
            "last_click_ts": pa.array(last, utc),
            "session_duration_sec": pa.array(duration.astype("float64")),
        }
    )


def as_timedeltas(values: np.ndarray) -> np.ndarray:
    return np.array([timedelta(seconds=int(v)) for v in values])


SOURCE_DAY, DAY = date(2026, 3, 1), date(2026, 3, 2)
COLUMNS = "session_id, event_date, click_count, unique_docs, first_click_ts, last_click_ts, "
COLUMNS += "session_duration_sec"


def load(db, table: pa.Table, path: str) -> float:
    from taxi_platform.resources.postgres import arrow_rows

    day_table = table.set_column(1, "event_date", pa.array([DAY] * table.num_rows, pa.date32()))
    started = time.perf_counter()
    if path == "project":
        db.replace_partition(TABLE, {"event_date": DAY}, day_table)
        return time.perf_counter() - started
    with db.transaction() as conn:
        conn.execute(f"DELETE FROM {TABLE} WHERE event_date = %s", [DAY])
        if path == "psycopg rows":
            db.copy_rows(conn, TABLE, day_table.column_names, arrow_rows(day_table))
        elif path == "psycopg CSV":
            db.copy_arrow(conn, TABLE, day_table)
        else:  # floor
            select = COLUMNS.replace("event_date", "%s::date AS event_date")
            conn.execute(
                f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {select} FROM {TABLE} "
                "WHERE event_date = %s",
                [DAY, SOURCE_DAY],
            )
    return time.perf_counter() - started


PATHS = ("project", "psycopg CSV", "psycopg rows", "floor")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-rows-path", action="store_true", help="omit the slowest path")
    args = parser.parse_args()
    paths = [p for p in PATHS if not (args.skip_rows_path and p == "psycopg rows")]
    table = sessions(args.rows)
    times: dict[str, list[float]] = {path: [] for path in paths}
    with tempfile.TemporaryDirectory() as tmp, bench_stack(Path(tmp)):
        from taxi_platform.resources.wiring import build_resources

        db = build_resources("local")["gold_db"].process_config_and_initialize()
        db.replace_partition(TABLE, {"event_date": SOURCE_DAY}, table)  # the floor's rows
        load(db, table.slice(0, 1000), "project")  # DDL and connection warm-up
        load_before = os.getloadavg()
        for _ in range(args.repeat):
            for path in paths:
                times[path].append(load(db, table, path))
                assert db.count_rows(TABLE, {"event_date": DAY}) == args.rows, path
        load_after = os.getloadavg()
    medians = {path: statistics.median(t) for path, t in times.items()}
    floor = medians["floor"]
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print("| path | rows | median s | min s | max s | floor / path |")
    print("|---|---:|---:|---:|---:|---:|")
    for path, t in times.items():
        print(
            f"| {path} | {args.rows:,} | {medians[path]:.2f} | {min(t):.2f} | {max(t):.2f} "
            f"| {floor / medians[path]:.0%} |"
        )


if __name__ == "__main__":
    main()
