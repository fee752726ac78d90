"""Benchmark: `PostgresResource.copy_arrow`, CSV written by Arrow against psycopg row by row.

Run by hand (not a test): `uv run python bench/bench_copy.py [--rows 1500000] [--repeat 3]`.
Starts its own embedded stack in a temporary folder, loads the same Arrow table into
`gold.mart_session_analysis` (the 100x Gold day of bench_gold.py has 1.56 M such rows) by
each path inside one transaction (delete + COPY, as `replace_partition` does), and prints a
Markdown table of medians. Speed-up = baseline seconds / ours.
- baseline: `copy_rows(arrow_rows(table))`, psycopg's `write_row` per row (the path before);
- ours: `copy_arrow`, Arrow's CSV writer in batches of 65,536 rows into `COPY … (FORMAT csv)`.
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

from taxi_platform_dev.local.stack import Stack

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


def load(db, table: pa.Table, path: str) -> float:
    from taxi_platform.resources.postgres import arrow_rows

    started = time.perf_counter()
    with db.transaction() as conn:
        conn.execute(f"DELETE FROM {TABLE}")
        if path == "baseline":
            db.copy_rows(conn, TABLE, table.column_names, arrow_rows(table))
        else:
            db.copy_arrow(conn, TABLE, table)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = sessions(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "stack", say=lambda _m: None)
        stack.up()
        try:
            os.environ.update(stack.env())
            from taxi_platform.resources.wiring import build_resources

            db = build_resources("local")["gold_db"].process_config_and_initialize()
            load(db, table.slice(0, 1000), "ours")  # DDL and connection warm-up
            medians = {
                path: statistics.median(load(db, table, path) for _ in range(args.repeat))
                for path in ("baseline", "ours")
            }
            assert db.count_rows(TABLE) == args.rows
        finally:
            stack.down()
    base, ours = medians["baseline"], medians["ours"]
    print("| rows | baseline s (row by row) | ours s (Arrow CSV) | speed-up |")
    print("|---:|---:|---:|---:|")
    print(f"| {args.rows:,} | {base:.2f} | {ours:.2f} | {base / ours:.1f}x |")


if __name__ == "__main__":
    main()
