"""The four Gold marts of the old Gold layer from Silver click events, for a range of UTC days.

    spark-submit gold_marts.py --start 2026-03-01 --end 2026-03-08 \
        --input <silver parquet> [--input …] --output <dir or s3a://…>

Reads the Silver Parquet objects given, keeps the events with start <= event_date < end,
and writes one Parquet folder per output under --output: the four marts (named as their
tables) and `silver_counts` (per day: events, searches, views — plain counts of the input,
which the asset's checks compare the marts with). Runs under Dagster Pipes (metadata back
to the assets) and equally under a plain spark-submit (Pipes is then a no-op). The
transforms take and return DataFrames, so they also run on an in-process session.

Definitions (the asset descriptions say the same to BI users):
- a click is any event (search or document view); sessions and days are cut in UTC, so a
  session crossing midnight has one row per event_date, each measured within its day;
- unique_docs / unique_documents count distinct document_ids of view events;
- session_duration_sec = last_click_ts − first_click_ts in seconds (0 for one click);
- peak_hour = the UTC hour with most events, the earliest hour on ties;
- clinical areas count search events per searched area (views are not searches);
- a document's title is the title of its latest view of the day (the alphabetically first
  one among views at that same instant).
"""

import argparse
import time
from collections.abc import Callable

from dagster_pipes import open_dagster_pipes
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

EVENT_COLUMNS = (
    "event_ts",
    "event_date",
    "event_kind",
    "session_id",
    "clinical_area",
    "document_id",
    "title",
)


def _rows() -> Column:
    return F.count(F.lit(1))


def read_events(spark: SparkSession, inputs: list[str], start: str, end: str) -> DataFrame:
    """The columns the marts use, of the events in [start, end)."""
    day = F.col("event_date")
    return (
        spark.read.parquet(*inputs)
        .select(*EVENT_COLUMNS)
        .where((day >= F.lit(start).cast("date")) & (day < F.lit(end).cast("date")))
    )


def session_analysis(events: DataFrame) -> DataFrame:
    viewed = F.when(F.col("event_kind") == "view", F.col("document_id"))
    sessions = events.groupBy("session_id", "event_date").agg(
        _rows().alias("click_count"),
        F.countDistinct(viewed).alias("unique_docs"),
        F.min("event_ts").alias("first_click_ts"),
        F.max("event_ts").alias("last_click_ts"),
    )
    duration = (F.unix_micros("last_click_ts") - F.unix_micros("first_click_ts")) / 1e6
    return sessions.withColumn("session_duration_sec", duration)


def daily_traffic(events: DataFrame) -> DataFrame:
    hourly = events.groupBy("event_date", F.hour("event_ts").alias("hour")).agg(
        _rows().alias("events")
    )
    # Most events first, then the earliest hour: max of (events, -hour).
    peak = F.max_by("hour", F.struct(F.col("events"), -F.col("hour")))
    traffic = hourly.groupBy("event_date").agg(
        F.sum("events").alias("total_events"), peak.cast("smallint").alias("peak_hour")
    )
    viewed = F.when(F.col("event_kind") == "view", F.col("document_id"))
    distinct = events.groupBy("event_date").agg(
        F.countDistinct("session_id").alias("unique_sessions"),
        F.countDistinct(viewed).alias("unique_documents"),
    )
    return traffic.join(distinct, "event_date").select(
        "event_date", "total_events", "unique_sessions", "unique_documents", "peak_hour"
    )


def clinical_areas(events: DataFrame) -> DataFrame:
    searches = events.where((F.col("event_kind") == "search") & F.col("clinical_area").isNotNull())
    return searches.groupBy("event_date", "clinical_area").agg(
        _rows().alias("search_count"),
        F.countDistinct("session_id").alias("unique_sessions"),
    )


def popular_documents(events: DataFrame) -> DataFrame:
    # The latest view's title; among views at the same instant, the alphabetically first.
    latest_title = F.min_by("title", F.struct(-F.unix_micros("event_ts"), F.col("title")))
    return (
        events.where(F.col("event_kind") == "view")
        .groupBy("event_date", "document_id")
        .agg(
            latest_title.alias("title"),
            _rows().alias("view_count"),
            F.countDistinct("session_id").alias("unique_sessions"),
        )
    )


def silver_counts(events: DataFrame) -> DataFrame:
    """Per day: events, searches, views — straight counts of the input for the checks."""
    kind = F.col("event_kind")
    return events.groupBy("event_date").agg(
        _rows().alias("events"),
        F.count(F.when(kind == "search", 1)).alias("searches"),
        F.count(F.when(kind == "view", 1)).alias("views"),
    )


MARTS: dict[str, Callable[[DataFrame], DataFrame]] = {
    "mart_session_analysis": session_analysis,
    "mart_daily_traffic": daily_traffic,
    "mart_clinical_areas": clinical_areas,
    "mart_popular_documents": popular_documents,
}
OUTPUTS = {**MARTS, "silver_counts": silver_counts}


def write_outputs(events: DataFrame, output: str) -> dict[str, float]:
    """Each output as one Parquet file in `output/<name>`; seconds per output."""
    seconds = {}
    for name, transform in OUTPUTS.items():
        started = time.monotonic()
        transform(events).coalesce(1).write.mode("overwrite").parquet(f"{output}/{name}")
        seconds[name] = round(time.monotonic() - started, 3)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, help="first event_date, YYYY-MM-DD")
    parser.add_argument("--end", required=True, help="day after the last, YYYY-MM-DD")
    parser.add_argument("--input", action="append", required=True, help="Silver Parquet")
    parser.add_argument("--output", required=True, help="folder for the Parquet results")
    args = parser.parse_args()
    with open_dagster_pipes() as pipes:
        started = time.monotonic()
        spark = SparkSession.builder.getOrCreate()
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        # Timestamps as Parquet TIMESTAMP_MICROS (UTC-adjusted), not legacy INT96.
        spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        session_ready = time.monotonic()
        try:
            events = read_events(spark, args.input, args.start, args.end).cache()
            seconds = write_outputs(events, args.output)
            common = {
                "start": args.start,
                "end": args.end,
                "silver_objects": len(args.input),
                "spark_session_seconds": round(session_ready - started, 3),
                "spark_compute_seconds": round(time.monotonic() - session_ready, 3),
                "spark_master": spark.sparkContext.master,
                "spark_version": spark.version,
            }
            for name in MARTS:
                pipes.report_asset_materialization(
                    asset_key=name, metadata={**common, "spark_write_seconds": seconds[name]}
                )
            pipes.log.info(f"gold marts {args.start}…{args.end} in {seconds}")
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
