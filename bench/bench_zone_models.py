"""Benchmark (by hand, not a test): the zone models' Spark program against DuckDB.

    uv run python bench/bench_zone_models.py [--rows 1000000] [--windows 1 3]

Generates months of trips (the `simulate trips` generator) into a temporary folder, then for
a window of 1 and of 3 months runs
- Spark: `spark/jobs/zone_models.py` through `SparkResource.submit` (spark-submit in
  local[nproc], Pipes), both models in one program: wall time (spark-submit, JVM start,
  Pipes), the job's own time (its SparkSession created to the end) and its compute time
  (filters, expected_pickups, adjacent_zones, without the session start), from its metadata;
- DuckDB: the same definitions in SQL on the same Parquet files (filters with per-filter
  counts, both models, both Parquet results written), with as many threads;
checks that both give the same tables, and prints a Markdown table (bench/RESULTS.md).
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pyarrow.parquet as pq

from taxi_platform.defs.zones.trip_files import days_in_month, month_bounds
from taxi_platform.defs.zones.zone_models import ZoneModelsConfig, run_zone_models
from taxi_platform.resources.spark import SparkResource, spark_environment
from taxi_platform_dev.domains.zones.simulator import generate_month

MONTHS = ["2026-08", "2026-09", "2026-10"]
MAX_US = 180 * 60_000_000
ADJACENT_US = 5 * 60_000_000
COLUMNS = (
    "months",
    "trips",
    "Spark wall (s)",
    "Spark job (s)",
    "Spark compute (s)",
    "DuckDB (s)",
    "Spark wall / DuckDB",
    "Spark compute / DuckDB",
    "Spark trips/s (wall)",
    "DuckDB trips/s",
    "same tables",
)


class BenchConfig(dg.Config):
    inputs: dict[str, str]
    output: str


@dg.multi_asset(specs=[dg.AssetSpec("expected_pickups"), dg.AssetSpec("adjacent_zones")])
def spark_zone_models(context: dg.AssetExecutionContext, config: BenchConfig, spark: SparkResource):
    metadata = run_zone_models(context, spark, config.inputs, config.output, ZoneModelsConfig())
    for key, values in metadata.items():
        yield dg.MaterializeResult(asset_key=key, metadata=values)


def run_spark(inputs: dict[str, str], output: Path) -> tuple[float, dict]:
    spark = SparkResource(master=f"local[{os.cpu_count()}]", staging_dir=str(output / "work"))
    started = time.monotonic()
    result = dg.materialize(
        [spark_zone_models],
        resources={"spark": spark},
        run_config={
            "ops": {"spark_zone_models": {"config": {"inputs": inputs, "output": str(output)}}}
        },
    )
    wall = time.monotonic() - started
    metadata = result.asset_materializations_for_node("spark_zone_models")[0].metadata
    return wall, {key: value.value for key, value in metadata.items()}


def _trips_sql(inputs: dict[str, str]) -> str:
    parts = []
    for month, path in inputs.items():
        start, end = month_bounds(month)
        parts.append(
            f"SELECT tpep_pickup_datetime::TIMESTAMP AS pickup_at, "
            f"tpep_dropoff_datetime::TIMESTAMP AS dropoff_at, PULocationID::INT AS pu, "
            f"DOLocationID::INT AS dropoff, total_amount::DOUBLE AS total_amount, "
            f"TIMESTAMP '{start}' AS month_start, TIMESTAMP '{end}' AS month_end "
            f"FROM read_parquet('{path}')"
        )
    return " UNION ALL ".join(parts)


def run_duckdb(inputs: dict[str, str], output: Path) -> tuple[float, dict[str, int]]:
    """The definitions of spark/jobs/zone_models.py, in DuckDB SQL."""
    days = sum(days_in_month(m) for m in inputs)
    output.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count()}")
    con.execute(f"""
        CREATE TEMP TABLE classified AS
        SELECT pu, dropoff, hour(pickup_at)::SMALLINT AS pickup_hour,
               epoch_us(dropoff_at) - epoch_us(pickup_at) AS duration_us,
               CASE
                 WHEN NOT coalesce(pickup_at >= month_start AND pickup_at < month_end, false)
                   THEN 'pickup_outside_month'
                 WHEN NOT coalesce(dropoff_at > pickup_at, false) THEN 'dropoff_not_after_pickup'
                 WHEN NOT coalesce(epoch_us(dropoff_at) - epoch_us(pickup_at) <= {MAX_US}, false)
                   THEN 'duration_over_max'
                 WHEN NOT coalesce(total_amount > 0, false) THEN 'non_positive_total_amount'
                 WHEN NOT coalesce(pu BETWEEN 1 AND 263 AND dropoff BETWEEN 1 AND 263, false)
                   THEN 'invalid_zone_id'
               END AS reject_reason
        FROM ({_trips_sql(inputs)})""")
    counts = dict(
        con.execute(
            "SELECT coalesce(reject_reason, 'valid'), count(*) FROM classified GROUP BY 1"
        ).fetchall()
    )
    con.execute("CREATE TEMP VIEW valid AS SELECT * FROM classified WHERE reject_reason IS NULL")
    con.execute(f"""
        COPY (
          WITH counts AS (SELECT pu, pickup_hour, count(*) AS n FROM valid GROUP BY ALL),
               grid AS (SELECT DISTINCT pu FROM valid)
          SELECT grid.pu AS pickup_zone_id, h.range::SMALLINT AS pickup_hour,
                 coalesce(counts.n, 0) / {days}::DOUBLE AS expected_pickups,
                 coalesce(counts.n, 0) AS total_pickups, {days}::INT AS days_in_window
          FROM grid CROSS JOIN range(24) AS h
          LEFT JOIN counts ON counts.pu = grid.pu AND counts.pickup_hour = h.range
        ) TO '{output}/expected_pickups.parquet' (FORMAT parquet)""")
    con.execute(f"""
        COPY (
          SELECT pu AS zone_id, list_sort(list(dropoff)) AS adjacent_zone_ids
          FROM (SELECT pu, dropoff FROM valid WHERE pu <> dropoff GROUP BY pu, dropoff
                HAVING avg(duration_us) < {ADJACENT_US})
          GROUP BY pu
        ) TO '{output}/adjacent_zones.parquet' (FORMAT parquet)""")
    con.close()
    return time.monotonic() - started, counts


def same_tables(spark_output: Path, duckdb_output: Path) -> bool:
    def expected(path):
        frame = pq.read_table(path).to_pandas()
        return frame.sort_values(["pickup_zone_id", "pickup_hour"], ignore_index=True)

    def adjacency(path):
        table = pq.read_table(path).to_pydict()
        return dict(zip(table["zone_id"], table["adjacent_zone_ids"], strict=True))

    a, b = (
        expected(spark_output / "expected_pickups"),
        expected(duckdb_output / "expected_pickups.parquet"),
    )
    counts_equal = (a["total_pickups"].to_numpy() == b["total_pickups"].to_numpy()).all()
    averages_close = np.allclose(a["expected_pickups"], b["expected_pickups"], rtol=0, atol=1e-9)
    return (
        len(a) == len(b)
        and bool(counts_equal and averages_close)
        and adjacency(spark_output / "adjacent_zones")
        == adjacency(duckdb_output / "adjacent_zones.parquet")
    )


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} CPUs ({model}), load average {load:.1f} at start"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="trips per month")
    parser.add_argument("--windows", type=int, nargs="+", default=[1, 3], help="months per run")
    args = parser.parse_args()
    os.environ.update(spark_environment("local"))
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_zone_models_") as tmp:
        folder = Path(tmp)
        files = {}
        for month in MONTHS[-max(args.windows) :]:
            files[month] = str(folder / f"yellow_tripdata_{month}.parquet")
            pq.write_table(generate_month(month, args.rows, 0), files[month])
        rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for window in args.windows:
            inputs = {m: files[m] for m in MONTHS[-window:]}
            spark_wall, metadata = run_spark(inputs, folder / f"spark_{window}")
            duck_seconds, counts = run_duckdb(inputs, folder / f"duckdb_{window}")
            trips = sum(counts.values())
            assert trips == metadata["input_rows"] and counts["valid"] == metadata["valid_rows"]
            job = metadata["spark_seconds"]
            compute = job - metadata["startup_seconds"]
            same = same_tables(folder / f"spark_{window}", folder / f"duckdb_{window}")
            cells = [
                window,
                f"{trips:,}",
                f"{spark_wall:.1f}",
                f"{job:.1f}",
                f"{compute:.1f}",
                f"{duck_seconds:.2f}",
                f"{spark_wall / duck_seconds:.0f}×",
                f"{compute / duck_seconds:.0f}×",
                f"{trips / spark_wall:,.0f}",
                f"{trips / duck_seconds:,.0f}",
                "yes" if same else "NO",
            ]
            rows.append("| " + " | ".join(map(str, cells)) + " |")
            print(rows[-1], flush=True)
        print("\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
