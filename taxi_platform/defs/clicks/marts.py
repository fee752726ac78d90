"""The Gold marts: one engine run over a range of days, checked, then published at once.

Why one multi-asset: one SQL model (`sql/`, built by `mart_sql.py`) reads the range's Silver
once and computes all the marts on the engine `TAXI_ENGINE` chooses (DuckDB reading the lake
directly, or Spark through Pipes); they are then published to database `gold` in ONE
transaction (delete the range's rows + COPY, per table), so Superset never sees a day's
traffic beside another run's sessions. Daily partitions with `BackfillPolicy.single_run()`:
a week's backfill is one engine run and one transaction, not seven.

Order of work: refuse days whose Silver misses bronze hours (`click_events.incomplete_days`:
Silver's blocking check covers a run's range, this is its per-day gate) → list Silver → run
the model → evaluate the checks (`mart_checks`) → publish
only if all pass → metadata with the time split (engine start: DuckDB's connection, or
spark-submit's wall time − the job's own compute; engine compute; load = check + COPY).
"""

import time
from collections.abc import Mapping
from datetime import date, timedelta

import dagster as dg
import pyarrow as pa

from taxi_platform.defs.clicks import DOMAIN
from taxi_platform.defs.clicks import click_events as silver
from taxi_platform.defs.clicks.click_events import DAILY_FRESHNESS, run_days, silver_prefix
from taxi_platform.defs.clicks.columns import column_table
from taxi_platform.defs.clicks.mart_checks import MART_CHECK_SPECS, MartOutputs, evaluate
from taxi_platform.defs.clicks.mart_sql import gold_marts_sql
from taxi_platform.defs.clicks.mart_tables import MART_NAMES, MARTS, SILVER_COUNTS, Mart
from taxi_platform.defs.logs.partitions import daily_partitions, eager_with_late_days
from taxi_platform.previews import markdown_preview
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.postgres import PostgresResource, Range, Replaced
from taxi_platform.resources.spark import SPARK_POOL, SparkResource
from taxi_platform.settings import timezone
from taxi_platform.table_schemas import table_metadata

# Eager on the latest day, and on an older day whose Silver late records re-materialized,
# once Silver's blocking check (all 24 hours present) has passed, or with Silver in the same
# run (where a failing check stops the marts). Not `all_deps_blocking_checks_passed()`: it
# never counts Silver's checks as requested with the marts, as they are not partitioned
# (they cover a run's range). Per day, `click_events.incomplete_days` is the gate.
AUTOMATION = (
    eager_with_late_days()
    & dg.AutomationCondition.all_deps_match(
        dg.AutomationCondition.will_be_requested()
        | dg.AutomationCondition.all_checks_match(
            dg.AutomationCondition.check_passed(), blocking_only=True
        )
    )
).with_label("eager (late days too) once click_events passed its checks")
PREVIEW_ROWS = 10


def _spec(mart: Mart) -> dg.AssetSpec:
    return dg.AssetSpec(
        mart.name,
        deps=[silver.click_events],
        group_name="gold",
        **DOMAIN.attributes("gold", tier=1),
        kinds={"duckdb", "spark", "postgres"},
        description=f"{mart.summary}\n\n{mart.rules}\n\n{column_table(mart.columns)}",
        metadata={
            **table_metadata("gold", mart.name, {c.name: c.description for c in mart.columns}),
            "primary_key": list(mart.key),
        },
        automation_condition=AUTOMATION,
        freshness_policy=DAILY_FRESHNESS,
    )


def silver_uris(lake: LakeResource, days: list[date]) -> list[str]:
    """The Silver objects of each day (s3:// URIs); a day without any is a clear failure."""
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
    return [f"s3://{lake.bucket}/{key}" for found in keys.values() for key in found]


def publish(
    gold_db: PostgresResource, tables: Mapping[str, pa.Table], first: date, end: date
) -> dict[str, Replaced]:
    """Replace the rows of days [first, end) in every mart, in one transaction."""
    days = Range("event_date", first, end)
    return gold_db.replace_tables({name: (days, tables[name]) for name in MART_NAMES})


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
    engine: EngineResource,
    spark: SparkResource,
    gold_db: PostgresResource,
):
    days = run_days(context)
    incomplete = silver.incomplete_days(context.instance, days)
    if incomplete:
        hours = "; ".join(f"{day}: {', '.join(missing)}" for day, missing in incomplete.items())
        raise dg.Failure(
            f"click_events of {', '.join(incomplete)} misses bronze hours ({hours}): "
            "materialize those hours of api_logs, then click_events of those days"
        )
    end = days[-1] + timedelta(days=1)
    model = gold_marts_sql(silver_uris(lake, days), days[0], end, timezone())
    run = engine.run(context, model, lake, spark)
    tables = run.tables
    loading = time.monotonic()
    frames = {name: table.to_pandas() for name, table in tables.items()}
    checks = evaluate(MartOutputs(days, frames))
    failed = [c for c in checks if not c.passed]
    if failed:
        yield from checks
        names = ", ".join(f"{c.asset_key.to_user_string()}.{c.check_name}" for c in failed)
        raise dg.Failure(f"not published, blocking checks failed: {names}")
    loaded = publish(gold_db, tables, days[0], end)
    load_seconds = round(time.monotonic() - loading, 3)
    for name in MART_NAMES:
        deleted, inserted = loaded[name]
        preview = markdown_preview(frames[name].head(PREVIEW_ROWS))
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
                **run.metadata,
                "load_seconds": load_seconds,
                "rows_in_run": inserted,
                "rows_replaced": deleted,
                "days": f"{days[0]} … {days[-1]} ({len(days)})",
                "silver_events": int(frames[SILVER_COUNTS]["events"].sum()),
                "preview": dg.MetadataValue.md(preview),
            },
        )
    yield from checks
