"""Benchmark (by hand, not a test): the Gold marts on the default engine through the asset,
against a plain DuckDB script of the same SQL, and Spark for reference.

    uv run python bench/bench_gold.py [--rates 1 10] [--rounds 3] [--no-spark] [--no-connect]

Rate 1× is the old log ETL's 100 records per 3-minute window (48,000 a day), 10× ten times
that. For each rate, on a fresh embedded stack: one UTC day of bronze is written from the log
API simulator and `click_events` materialized (reported, not compared), then
- plain DuckDB: the marts' SQL files on a bare DuckDB connection reading the same Silver
  object from S3 (`bench_common.plain_duckdb`): the baseline;
- plain DuckDB + load: the same, then its tables published to PostgreSQL the way the asset
  publishes them (`marts.publish`: delete the day + ADBC binary COPY of the five tables in
  one transaction): what a script doing the asset's job without Dagster and checks costs.
  The publish timed replaces the day's rows (published once before, untimed), as the
  asset's run does after it;
- asset, DuckDB: `dg.materialize` of the four marts with the code location's resources
  (engine `duckdb`): its engine time (from the metadata), its checks + load time (metadata
  `load_seconds`) and its wall time (Dagster, listing Silver, the blocking checks, delete +
  COPY of the four tables in one transaction). Every run of a rate uses one Dagster instance,
  created before the clock starts, as a deployment's runs do, and selects the marts as the
  code location's `gold_marts_job` does (by their definition: a selection string would parse
  with Dagster's ANTLR grammar, whose first import costs the first run 0.3 s);
- asset, Spark: the same with engine `spark` (spark-submit `local[N]`, Pipes, staged Silver);
- asset, Spark Connect: the same on a Spark Connect server started once per stack
  (`TAXI_SPARK_REMOTE`, as `taxi-platform dev` runs the spark engine; staged Silver).
The three DuckDB measures are taken in `--rounds` rounds, one after another in each (the
host's speed drifts by 2-3× within minutes): the table shows the first round (the process's
first marts run: first-use costs included) and the median over the rounds of each round's
ratio. Spark runs once, after the rounds. Every run's published rows must equal the
baseline's. Prints a Markdown table.
"""

import argparse
import contextlib
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
from bench_common import (
    COMPARED,
    CONNECT_COMPARED,
    MEDIAN_COMPARED,
    bench_stack,
    compared_cells,
    connect_cells,
    connect_server,
    load_average,
    machine,
    median_cells,
    plain_duckdb,
)
from psycopg import sql

from taxi_platform.defs.clicks.click_events import click_events, day_hours, silver_key
from taxi_platform.defs.clicks.mart_sql import gold_marts_sql
from taxi_platform.defs.clicks.mart_tables import MART_NAMES, MARTS
from taxi_platform.defs.clicks.marts import gold_marts, publish
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import timezone
from taxi_platform_dev.domains.clicks.simulated_bronze import write_hours
from taxi_platform_dev.domains.logs.simulator import LogApiSimulator, SimulatorConfig

DAY = date(2026, 4, 1)
SEED_RATE = 100  # records per 3-minute window
COLUMNS = (
    "rate",
    "events",
    "Silver run (s)",
    *COMPARED,
    "asset: checks + load (s)",
    "plain DuckDB + load (s)",
    "asset wall / (plain + load)",
    *MEDIAN_COMPARED,
    *CONNECT_COMPARED,
    "same rows",
)


def sorted_frame(frame: pd.DataFrame, key: tuple[str, ...], columns: list[str]) -> pd.DataFrame:
    frame = frame[columns].sort_values(list(key)).reset_index(drop=True)
    for column in ("first_click_ts", "last_click_ts"):
        if column in columns:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def same_rows(gold_db, computed: dict[str, pd.DataFrame]) -> bool:
    for mart in MARTS:
        columns = [c.name for c in mart.columns]
        query = sql.SQL("SELECT * FROM {} WHERE event_date = %s").format(sql.Identifier(mart.name))
        ours = sorted_frame(gold_db.fetch_frame(query, [DAY]), mart.key, columns)
        theirs = sorted_frame(computed[mart.name], mart.key, columns)
        try:
            pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, check_exact=True)
        except AssertionError as exc:
            print(f"  {mart.name} differs: {str(exc)[:300]}")
            return False
    return True


def run_marts(resources: dict, engine: str, instance: dg.DagsterInstance) -> tuple[float, dict]:
    """Wall seconds and metadata of the marts' run on `engine`."""
    started = time.perf_counter()
    result = dg.materialize(
        [click_events, gold_marts],
        selection=[gold_marts],
        partition_key=DAY.isoformat(),
        resources={**resources, "engine": EngineResource(engine=engine)},
        instance=instance,
    )
    wall = time.perf_counter() - started
    metadata = result.asset_materializations_for_node(gold_marts.op.name)[0].metadata
    return wall, {key: value.value for key, value in metadata.items()}


def run_rate(rate: int, rounds: int, spark: bool, connect: str | None) -> list[str]:
    """A row of the table; `connect`: the URL of a Spark Connect server to run on as well."""
    resources = build_resources("local")
    live = {key: resources[key].process_config_and_initialize() for key in ("lake", "gold_db")}
    lake, gold_db = live["lake"], live["gold_db"]
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    simulator = LogApiSimulator(SimulatorConfig(start=start, records_per_window=SEED_RATE * rate))
    events = sum(write_hours(lake.get_client(), lake.bucket, simulator, day_hours(DAY)).values())
    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    dg.materialize(
        [click_events], partition_key=DAY.isoformat(), resources=resources, instance=instance
    )
    silver = time.perf_counter() - started

    model = gold_marts_sql(
        [f"s3://{lake.bucket}/{silver_key(DAY)}"], DAY, DAY + timedelta(days=1), timezone()
    )
    plain, tables = plain_duckdb(model)
    # The day's rows in place first, untimed: the timed publish then replaces them, as the
    # asset's run right after replaces it (a replacement deletes and re-inserts the same keys,
    # about twice an insert into an empty day for mart_session_analysis's primary key).
    publish(gold_db, tables, DAY, DAY + timedelta(days=1))
    computed = {name: tables[name].to_pandas() for name in MART_NAMES}
    same = True
    measured = []  # per round: (plain, plain + load, asset wall, asset metadata)
    for _ in range(rounds):
        plain, tables = plain_duckdb(model)
        started = time.perf_counter()
        publish(gold_db, tables, DAY, DAY + timedelta(days=1))
        plain_load = plain + time.perf_counter() - started
        wall, metadata = run_marts(resources, "duckdb", instance)
        same = same and same_rows(gold_db, computed)
        measured.append((plain, plain_load, wall, metadata))
    plain, plain_load, wall, metadata = measured[0]
    spark_wall = None
    if spark:
        spark_wall, _ = run_marts(resources, "spark", instance)
        same = same and same_rows(gold_db, computed)
    connect_wall = None
    if connect:
        # The code location's resources: the spark engine goes through TAXI_SPARK_REMOTE.
        connect_wall, ran = run_marts(build_resources("local"), "spark", instance)
        assert ran["spark_remote"] == connect, "the Connect run went through spark-submit"
        same = same and same_rows(gold_db, computed)
    cells = [f"{rate}×", f"{events:,}", f"{silver:.1f}"]
    cells += compared_cells(plain, metadata, wall, spark_wall)
    cells += [f"{metadata['load_seconds']:.2f}", f"{plain_load:.2f}", f"{wall / plain_load:.2f}×"]
    cells += median_cells([(p, pl, w) for p, pl, w, _ in measured])
    cells += connect_cells(plain, spark_wall, connect_wall)
    cells.append("yes" if same else "NO")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=3, help="DuckDB rounds per rate")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark reference")
    parser.add_argument("--no-connect", action="store_true", help="skip Spark Connect")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average at start {load_average()}", flush=True)
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for rate in args.rates:
        with (
            tempfile.TemporaryDirectory(prefix="bench_gold_") as tmp,
            bench_stack(Path(tmp)) as stack,
            contextlib.ExitStack() as server,
        ):
            connect = None if args.no_connect else server.enter_context(connect_server(stack))
            cells = run_rate(rate, args.rounds, not args.no_spark, connect)
            rows.append("| " + " | ".join(cells) + " |")
            print(rows[-1], flush=True)
    print(f"\nload average at the end {load_average()}\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
