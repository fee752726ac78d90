"""The four Gold marts: one Spark run over a range of days, checked, then published at once.

Why one multi-asset: one Spark program (`spark/jobs/gold_marts.py`) reads the range's Silver
once and computes all four marts; they are then published to database `gold` in ONE
transaction (delete the range's rows + COPY, per table), so Superset never sees a day's
traffic beside another run's sessions. Daily partitions with `BackfillPolicy.single_run()`:
a week's backfill is one Spark run and one transaction, not seven.

Order of work: stage Silver → spark-submit (Pipes) → read the Parquet results → evaluate
the checks (`mart_checks`) → publish only if all pass → metadata with the time split
(Spark start = submit wall time − the job's own compute time; load = read + check + COPY).
"""

import time
from collections.abc import Mapping
from datetime import date, timedelta

import dagster as dg
import pyarrow as pa

from taxi_platform.defs.clicks import DOMAIN
from taxi_platform.defs.clicks import click_events as silver
from taxi_platform.defs.clicks.click_events import DAILY_FRESHNESS, silver_prefix
from taxi_platform.defs.clicks.columns import column_table
from taxi_platform.defs.clicks.mart_checks import (
    MART_CHECK_SPECS,
    SILVER_COUNTS,
    MartOutputs,
    evaluate,
)
from taxi_platform.defs.clicks.mart_tables import MART_NAMES, MARTS, Mart
from taxi_platform.defs.logs.partitions import daily_partitions, eager_with_late_days
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.postgres import PostgresResource, Range, Replaced
from taxi_platform.resources.spark import SPARK_POOL, SparkResource
from taxi_platform.table_schemas import table_metadata

JOB = "gold_marts.py"
# Eager on the latest day, and on an older day whose Silver late records re-materialized,
# once Silver's blocking check (all 24 hours present) has passed.
AUTOMATION = (
    eager_with_late_days() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager (late days too) once click_events passed its checks")
PREVIEW_ROWS = 10


def _spec(mart: Mart) -> dg.AssetSpec:
    return dg.AssetSpec(
        mart.name,
        deps=[silver.click_events],
        group_name="gold",
        **DOMAIN.attributes("gold", tier=1),
        kinds={"spark", "postgres"},
        description=f"{mart.summary}\n\n{mart.rules}\n\n{column_table(mart.columns)}",
        metadata={
            **table_metadata("gold", mart.name, {c.name: c.description for c in mart.columns}),
            "primary_key": list(mart.key),
        },
        automation_condition=AUTOMATION,
        freshness_policy=DAILY_FRESHNESS,
    )


def run_days(context: dg.AssetExecutionContext) -> list[date]:
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=n) for n in range((end - first).days)]


def stage_silver(lake: LakeResource, spark: SparkResource, client, days: list[date]) -> list[str]:
    """Where Spark reads each day's Silver objects; a day without any is a clear failure."""
    keys = {
        day: [k for k in lake.list_keys(silver_prefix(day)) if k.endswith(".parquet")]
        for day in days
    }
    missing = [day.isoformat() for day, found in keys.items() if not found]
    if missing:
        raise dg.Failure(
            f"click_events is not materialized for {', '.join(missing)}: materialize those "
            "partitions first (the marts are computed from Silver)"
        )
    return [spark.input_uri(client, lake.bucket, key) for found in keys.values() for key in found]


def publish(
    gold_db: PostgresResource, tables: Mapping[str, pa.Table], first: date, end: date
) -> dict[str, Replaced]:
    """Replace the rows of days [first, end) in every mart, in one transaction."""
    days = Range("event_date", first, end)
    return gold_db.replace_tables({name: (days, tables[name]) for name in MART_NAMES})


def compute_marts(
    context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkResource, days: list[date]
) -> tuple[dict[str, pa.Table], dict[str, dict], dict[str, float]]:
    """Stage Silver, run the Spark job, read its results back: (Arrow tables by name, the
    job's metadata per mart, timings). The job's output folder is removed in any case."""
    client = lake.get_client()
    inputs = stage_silver(lake, spark, client, days)
    output = spark.output_uri(lake.bucket, "gold_marts", context.run.run_id)
    args = [f"--start={days[0]}", f"--end={days[-1] + timedelta(days=1)}", f"--output={output}"]
    started = time.monotonic()
    try:
        invocation = spark.submit(context, JOB, [*args, *(f"--input={uri}" for uri in inputs)])
        submitted = time.monotonic()
        tables = {
            name: spark.read_output(client, f"{output}/{name}")
            for name in (*MART_NAMES, SILVER_COUNTS)
        }
    finally:
        spark.discard_output(client, output)
    job = {r.asset_key.to_user_string(): dict(r.metadata) for r in invocation.get_results()}
    compute = job[MART_NAMES[0]]["spark_compute_seconds"].value
    timing = {
        "spark_submit_seconds": submitted - started,
        "spark_start_seconds": submitted - started - compute,
        "read_seconds": time.monotonic() - submitted,
    }
    return tables, job, timing


@dg.multi_asset(
    name="gold_marts",
    specs=[_spec(mart) for mart in MARTS],
    check_specs=MART_CHECK_SPECS,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=SPARK_POOL,
)
def gold_marts(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    spark: SparkResource,
    gold_db: PostgresResource,
):
    days = run_days(context)
    tables, job, timing = compute_marts(context, lake, spark, days)
    loading = time.monotonic()
    frames = {name: table.to_pandas() for name, table in tables.items()}
    checks = evaluate(MartOutputs(days, frames))
    failed = [c for c in checks if not c.passed]
    if failed:
        yield from checks
        names = ", ".join(f"{c.asset_key.to_user_string()}.{c.check_name}" for c in failed)
        raise dg.Failure(f"not published, blocking checks failed: {names}")
    loaded = publish(gold_db, tables, days[0], days[-1] + timedelta(days=1))
    timing["load_seconds"] = timing.pop("read_seconds") + time.monotonic() - loading
    for name in MART_NAMES:
        deleted, inserted = loaded[name]
        preview = frames[name].head(PREVIEW_ROWS).to_markdown(index=False)
        # A range run materializes every day of it: each day's own row count, not the run's.
        per_day = frames[name]["event_date"].value_counts()
        for day in days:
            context.add_asset_metadata(
                {"dagster/row_count": int(per_day.get(day, 0))},
                asset_key=name,
                partition_key=day.isoformat(),
            )
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                **job[name],
                **{key: round(seconds, 3) for key, seconds in timing.items()},
                "rows_in_run": inserted,
                "rows_replaced": deleted,
                "days": f"{days[0]} … {days[-1]} ({len(days)})",
                "silver_events": int(frames[SILVER_COUNTS]["events"].sum()),
                "preview": dg.MetadataValue.md(preview),
            },
        )
    yield from checks
