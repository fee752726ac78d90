"""Benchmark (by hand, not a test): the zone models on the default engine through the asset,
against a plain DuckDB script of the same SQL, and Spark for reference.

    uv run python bench/bench_zone_models.py [--rates 1 10] [--windows 1 3] [--rounds 3]
        [--no-spark] [--no-connect]

On a fresh embedded stack (moto S3, PostgreSQL), generated TLC months (the `simulate trips`
generator; rate 1× = 250,000 trips a month, 10× = 2.5 M, about a real TLC Yellow month) are
uploaded to the lake; then for each rate and window of 1 and 3 months:
- plain DuckDB: the model's SQL files on a bare DuckDB connection reading the same S3 objects
  (`bench_common.plain_duckdb`): the baseline;
- plain DuckDB + load: the same, then both tables published to PostgreSQL as the asset
  publishes them (`replace_tables`: both tables replaced in one transaction), once untimed
  before the rounds so that neither side pays the process's first load (ADBC's type
  catalogue): what a script doing the asset's job without Dagster costs;
- asset, DuckDB: `dg.materialize` of `zone_models` with the code location's resources
  (engine `duckdb`): its engine time (connection + SQL, from the metadata) and its wall time
  (Dagster, listing the lake, the run's metadata, COPY of both tables into PostgreSQL), on
  one Dagster instance created before the clock starts, as a deployment's runs have one;
- asset, Spark: the same with engine `spark` (spark-submit `local[N]`, Pipes, staged inputs);
- asset, Spark Connect: the same on a Spark Connect server started once for the whole bench
  (`TAXI_SPARK_REMOTE`, as `taxi-platform dev` runs the spark engine; staged inputs).
The DuckDB measures are taken in `--rounds` rounds, one after another in each (the host's
speed drifts by 2-3× within minutes): the table shows the first round (for the first window
of the first rate, the process's first run: first-use costs included) and the median over
the rounds of each round's ratio. Spark runs once, after the rounds. The asset's checks
(`zone_model_checks`, a step of their own after the asset's) are not in its time. Every
run's published tables must equal the baseline's. Prints a Markdown table.
"""

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import dagster as dg
import pyarrow as pa
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

from taxi_platform.defs.zones.model_sql import MODEL_TABLES, zone_models_sql
from taxi_platform.defs.zones.trip_files import trip_key
from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.wiring import build_resources
from taxi_platform_dev.domains.zones.simulator import generate_month, upload_month

MONTHS = ["2026-08", "2026-09", "2026-10"]
TRIPS_AT_1X = 250_000
COLUMNS = (
    "rate",
    "months",
    "trips",
    *COMPARED,
    "plain DuckDB + load (s)",
    "asset wall / (plain + load)",
    *MEDIAN_COMPARED,
    *CONNECT_COMPARED,
    "same tables",
)


def published(postgres_db) -> dict[str, list[tuple]]:
    return {
        "expected_pickups": sorted(
            tuple(r.values())
            for r in postgres_db.fetch_all(
                "SELECT pickup_zone_id, pickup_hour, expected_pickups, total_pickups, "
                "days_in_window FROM expected_pickups"
            )
        ),
        "adjacent_zones": sorted(
            (r["zone_id"], tuple(r["adjacent_zone_ids"]))
            for r in postgres_db.fetch_all("SELECT zone_id, adjacent_zone_ids FROM adjacent_zones")
        ),
    }


def rows_of(tables: dict[str, pa.Table]) -> dict[str, list[tuple]]:
    expected = tables["expected_pickups"].to_pylist()
    return {
        "expected_pickups": sorted(tuple(r.values()) for r in expected),
        "adjacent_zones": sorted(
            (r["zone_id"], tuple(r["adjacent_zone_ids"]))
            for r in tables["adjacent_zones"].to_pylist()
        ),
    }


def run_asset(
    resources: dict, engine: str, months: list[str], instance: dg.DagsterInstance
) -> tuple[float, dict]:
    started = time.perf_counter()
    result = dg.materialize(
        [zone_models],
        resources={**resources, "engine": EngineResource(engine=engine)},
        run_config={"ops": {zone_models.op.name: {"config": {"months": months}}}},
        instance=instance,
    )
    wall = time.perf_counter() - started
    metadata = result.asset_materializations_for_node(zone_models.op.name)[0].metadata
    return wall, {key: value.value for key, value in metadata.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--windows", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--rounds", type=int, default=3, help="DuckDB rounds per window")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark reference")
    parser.add_argument("--no-connect", action="store_true", help="skip Spark Connect")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average at start {load_average()}", flush=True)
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    with (
        tempfile.TemporaryDirectory(prefix="bench_zone_models_") as tmp,
        bench_stack(Path(tmp)) as stack,
        contextlib.ExitStack() as server,
    ):
        resources = build_resources("local")
        connect = None if args.no_connect else server.enter_context(connect_server(stack))
        connect_resources = build_resources("local")  # with TAXI_SPARK_REMOTE when started
        live = {k: resources[k].process_config_and_initialize() for k in ("lake", "postgres_db")}
        lake, postgres_db = live["lake"], live["postgres_db"]
        # One instance for every run, created before any clock starts, as a deployment's runs
        # have one (bench_gold does the same): an ephemeral one costs 0.3 s to create.
        instance = dg.DagsterInstance.ephemeral()
        for rate in args.rates:
            for month in MONTHS[-max(args.windows) :]:
                table = generate_month(month, TRIPS_AT_1X * rate, 0)
                upload_month(lake.get_client(), lake.bucket, table, month)
            for window in args.windows:
                months = MONTHS[-window:]
                uris = {m: f"s3://{lake.bucket}/{trip_key(m)}" for m in months}
                model = zone_models_sql(uris)
                plain, tables = plain_duckdb(model)
                outputs = {name: tables[name] for name in MODEL_TABLES}
                want = rows_of(outputs)
                postgres_db.replace_tables({name: ({}, t) for name, t in outputs.items()})
                same = True
                measured = []  # per round: (plain, plain + load, asset wall, asset metadata)
                for _ in range(args.rounds):
                    plain, tables = plain_duckdb(model)
                    started = time.perf_counter()
                    postgres_db.replace_tables({name: ({}, tables[name]) for name in MODEL_TABLES})
                    plain_load = plain + time.perf_counter() - started
                    wall, metadata = run_asset(resources, "duckdb", months, instance)
                    same = same and published(postgres_db) == want
                    measured.append((plain, plain_load, wall, metadata))
                plain, plain_load, wall, metadata = measured[0]
                spark_wall = None
                if not args.no_spark:
                    spark_wall, _ = run_asset(resources, "spark", months, instance)
                    same = same and published(postgres_db) == want
                connect_wall = None
                if connect:
                    connect_wall, ran = run_asset(connect_resources, "spark", months, instance)
                    assert ran["spark_remote"] == connect, "the Connect run was a spark-submit"
                    same = same and published(postgres_db) == want
                cells = [f"{rate}×", window, f"{metadata['input_rows']:,}"]
                cells += compared_cells(plain, metadata, wall, spark_wall)
                cells += [f"{plain_load:.2f}", f"{wall / plain_load:.2f}×"]
                cells += median_cells([(p, pl, w) for p, pl, w, _ in measured])
                cells += connect_cells(plain, spark_wall, connect_wall)
                cells.append("yes" if same else "NO")
                rows.append("| " + " | ".join(map(str, cells)) + " |")
                print(rows[-1], flush=True)
    print(f"\nload average at the end {load_average()}\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
