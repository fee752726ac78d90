"""Zone models of the old ec2-spark job on NYC TLC Yellow Taxi trips: expected_pickups and
adjacent_zones.

    spark-submit zone_models.py --input 2026-10=<parquet> [--input …] --output <dir or s3a://…>

Runs under Dagster Pipes (metadata back to the asset) and equally under a plain
spark-submit on any cluster (Pipes is then a no-op). Pure PySpark: the transforms below take
and return DataFrames, so tests call them on an in-process session too.

Validity filters, applied in this order; a row is counted under the first one it fails, so
the counts add up to input − valid rows. A NULL in a tested column fails the filter.
 1. pickup_outside_month       pickup in [first day, first day of next month) of the file's
                               month: TLC files carry stray dates from other months/years.
 2. dropoff_not_after_pickup   dropoff strictly after pickup (no negative or zero trips).
 3. duration_over_max          dropoff − pickup ≤ --max-trip-minutes (default 180): multi-day
                               trips are meters left running.
 4. non_positive_total_amount  total_amount > 0: refunds, disputes and voided trips.
 5. invalid_zone_id            PULocationID and DOLocationID in 1..263: 264/265 are TLC's
                               "Unknown"/"Outside of NYC", anything else is not a zone.
Models, on the valid trips:
 - expected_pickups: per (pickup_zone_id, pickup_hour) the average pickups in that hour per
   day of the window: pickups / days_in_window (every calendar day of the selected months,
   so days without a pickup count as zero); all 24 hours of every zone with a pickup.
 - adjacent_zones: per pickup zone, the sorted distinct other dropoff zones whose average
   travel time from it is under --adjacency-minutes (default 5); zones without any such
   neighbour have no row (as the seed's ARRAY_AGG built it).
Timestamps are naive New York wall times; the session time zone is UTC so they stay so.
"""

import argparse
import calendar
import time
from collections.abc import Sequence

from dagster_pipes import open_dagster_pipes
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

FIRST_ZONE, LAST_ZONE = 1, 263
FILTERS = (
    "pickup_outside_month",
    "dropoff_not_after_pickup",
    "duration_over_max",
    "non_positive_total_amount",
    "invalid_zone_id",
)
MINUTE_US = 60_000_000


def month_span(month: str) -> tuple[str, str, int]:
    """('YYYY-MM-01 00:00:00', first instant of the next month, days in the month)."""
    year, number = map(int, month.split("-"))
    following = f"{year + number // 12:04d}-{number % 12 + 1:02d}-01 00:00:00"
    return f"{month}-01 00:00:00", following, calendar.monthrange(year, number)[1]


def read_month(spark: SparkSession, month: str, uri: str) -> DataFrame:
    """The columns the models use, typed the same for every TLC schema variant, with the
    file's month bounds (filter 1 needs to know which file a row came from)."""
    start, end, _ = month_span(month)
    return spark.read.parquet(uri).select(
        F.col("tpep_pickup_datetime").cast("timestamp").alias("pickup_at"),
        F.col("tpep_dropoff_datetime").cast("timestamp").alias("dropoff_at"),
        F.col("PULocationID").cast("int").alias("pickup_zone_id"),
        F.col("DOLocationID").cast("int").alias("dropoff_zone_id"),
        F.col("total_amount").cast("double").alias("total_amount"),
        F.lit(start).cast("timestamp").alias("month_start"),
        F.lit(end).cast("timestamp").alias("month_end"),
    )


def _rules(max_trip_minutes: float) -> list[tuple[str, Column]]:
    """(filter name, condition a valid row meets), in `FILTERS` order."""
    c = F.col
    return [
        (
            "pickup_outside_month",
            (c("pickup_at") >= c("month_start")) & (c("pickup_at") < c("month_end")),
        ),
        ("dropoff_not_after_pickup", c("dropoff_at") > c("pickup_at")),
        ("duration_over_max", c("duration_us") <= F.lit(max_trip_minutes * MINUTE_US)),
        ("non_positive_total_amount", c("total_amount") > 0),
        (
            "invalid_zone_id",
            c("pickup_zone_id").between(FIRST_ZONE, LAST_ZONE)
            & c("dropoff_zone_id").between(FIRST_ZONE, LAST_ZONE),
        ),
    ]


def classify(trips: DataFrame, max_trip_minutes: float = 180.0) -> DataFrame:
    """Trips → (pickup_zone_id, dropoff_zone_id, pickup_hour, duration_us, reject_reason):
    the reason is the first filter the row fails, NULL for a valid trip."""
    reason = F.lit(None).cast("string")
    for name, valid in reversed(_rules(max_trip_minutes)):
        reason = F.when(~F.coalesce(valid, F.lit(False)), F.lit(name)).otherwise(reason)
    with_duration = trips.withColumn(
        "duration_us", F.unix_micros("dropoff_at") - F.unix_micros("pickup_at")
    )
    return with_duration.select(
        "pickup_zone_id",
        "dropoff_zone_id",
        F.hour("pickup_at").cast("smallint").alias("pickup_hour"),
        "duration_us",
        reason.alias("reject_reason"),
    )


def filter_counts(classified: DataFrame) -> dict[str, int]:
    """Rows per reject reason (every filter present, 0 when none) plus `valid`."""
    counts = {name: 0 for name in (*FILTERS, "valid")}
    for row in classified.groupBy("reject_reason").count().collect():
        counts[row["reject_reason"] or "valid"] = row["count"]
    return counts


def valid_trips(classified: DataFrame) -> DataFrame:
    return classified.where(F.col("reject_reason").isNull()).drop("reject_reason")


def expected_pickups(valid: DataFrame, days_in_window: int) -> DataFrame:
    """(pickup_zone_id, pickup_hour, expected_pickups, total_pickups, days_in_window)."""
    counts = valid.groupBy("pickup_zone_id", "pickup_hour").agg(
        F.count(F.lit(1)).alias("total_pickups")
    )
    hours = valid.sparkSession.range(24).select(F.col("id").cast("smallint").alias("pickup_hour"))
    grid = valid.select("pickup_zone_id").distinct().crossJoin(hours)
    return (
        grid.join(counts, ["pickup_zone_id", "pickup_hour"], "left")
        .fillna(0, ["total_pickups"])
        .select(
            "pickup_zone_id",
            "pickup_hour",
            (F.col("total_pickups") / F.lit(float(days_in_window))).alias("expected_pickups"),
            "total_pickups",
            F.lit(days_in_window).cast("int").alias("days_in_window"),
        )
    )


def adjacent_zones(valid: DataFrame, adjacency_minutes: float = 5.0) -> DataFrame:
    """(zone_id, adjacent_zone_ids int[] sorted): other zones reached on average in under
    `adjacency_minutes` from zone_id."""
    pairs = (
        valid.where(F.col("pickup_zone_id") != F.col("dropoff_zone_id"))
        .groupBy("pickup_zone_id", "dropoff_zone_id")
        .agg(F.avg("duration_us").alias("average_us"))
        .where(F.col("average_us") < F.lit(adjacency_minutes * MINUTE_US))
    )
    return pairs.groupBy(F.col("pickup_zone_id").alias("zone_id")).agg(
        F.sort_array(F.collect_list("dropoff_zone_id")).alias("adjacent_zone_ids")
    )


def _write(frame: DataFrame, path: str) -> tuple[int, float]:
    """Write one small result as a single Parquet file; (rows, seconds)."""
    started = time.monotonic()
    frame = frame.coalesce(1).cache()
    frame.write.mode("overwrite").parquet(path)
    rows = frame.count()
    frame.unpersist()
    return rows, time.monotonic() - started


def _parse_inputs(values: Sequence[str]) -> dict[str, str]:
    inputs = dict(value.split("=", 1) for value in values)
    for month in inputs:
        month_span(month)  # fails early on a malformed month
    return dict(sorted(inputs.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", action="append", required=True, help="YYYY-MM=<parquet>")
    parser.add_argument("--output", required=True, help="folder for the two Parquet results")
    parser.add_argument("--adjacency-minutes", type=float, default=5.0)
    parser.add_argument("--max-trip-minutes", type=float, default=180.0)
    args = parser.parse_args()
    inputs = _parse_inputs(args.input)
    with open_dagster_pipes() as pipes:
        started = time.monotonic()
        spark = SparkSession.builder.getOrCreate()
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        ready = time.monotonic()
        try:
            trips = None
            for month, uri in inputs.items():
                frame = read_month(spark, month, uri)
                trips = frame if trips is None else trips.unionByName(frame)
            classified = classify(trips, args.max_trip_minutes).cache()
            counts = filter_counts(classified)
            filtered_at = time.monotonic()
            days = sum(month_span(month)[2] for month in inputs)
            valid = valid_trips(classified)
            pickups = _write(expected_pickups(valid, days), f"{args.output}/expected_pickups")
            adjacency = _write(
                adjacent_zones(valid, args.adjacency_minutes), f"{args.output}/adjacent_zones"
            )
            common = {
                "months": {"raw_value": list(inputs), "type": "json"},
                "days_in_window": days,
                "input_rows": sum(counts.values()),
                "valid_rows": counts["valid"],
                **{f"dropped_{name}": counts[name] for name in FILTERS},
                "startup_seconds": round(ready - started, 3),
                "filter_seconds": round(filtered_at - ready, 3),
                "spark_seconds": round(time.monotonic() - started, 3),
                "spark_master": spark.sparkContext.master,
                "spark_version": spark.version,
            }
            for key, (rows, seconds) in (
                ("expected_pickups", pickups),
                ("adjacent_zones", adjacency),
            ):
                pipes.report_asset_materialization(
                    asset_key=key,
                    metadata={**common, "output_rows": rows, "model_seconds": round(seconds, 3)},
                )
            pipes.log.info(f"zone models over {list(inputs)}: {counts}")
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
