"""`zone_diff_stats`: per-zone dispatches and pickups within each hour, and its check."""

from collections import Counter
from datetime import datetime, timedelta

import dagster as dg
import pyarrow as pa
from psycopg import sql

from taxi_platform.defs.counters import DOMAIN, activity_log
from taxi_platform.defs.counters.hourly import ANOMALY, GRACE, HOUR, diff_window, hour_starts
from taxi_platform.defs.counters.ledger import applied_resets
from taxi_platform.defs.counters.metadata import preview, problems_metadata
from taxi_platform.defs.counters.partitions import HOURS
from taxi_platform.defs.counters.snapshots import LOOKBACK, load_snapshots
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.postgres import PostgresResource, Range, table_identifier
from taxi_platform.table_schemas import table_metadata

DIFF_TABLE = "zone_diff_stats"
ISSUES_TABLE = "zone_diff_issues"
DIFF_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("zone_id", pa.string()),
        ("dispatch_count", pa.int64()),
        ("pickup_count", pa.int64()),
        ("dispatch_minus_pickup", pa.int64()),
    ]
)
ISSUES_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("zone_id", pa.string()),
        ("kind", pa.string()),
        ("detail", pa.string()),
    ]
)


@dg.asset(
    name=DIFF_TABLE,
    partitions_def=HOURS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[activity_log.zone_hourly_activity_log],
    freshness_policy=missed_runs(HOUR, warn=1, fail=2, run_time=timedelta(minutes=15)),
    group_name="counters",
    kinds={"postgres"},
    **DOMAIN.attributes("silver", tier=1),
    metadata=table_metadata("daily_stats_db", DIFF_TABLE),
    description=(
        "Per zone, dispatches and pickups *within* each hour (TAXI_TIMEZONE) and "
        "`dispatch_minus_pickup`, in `daily_stats_db.zone_diff_stats`. Computed from the "
        "5-minute snapshots (`zone_hourly_activity_log`) between the hour's boundary "
        f"snapshots (the last at or before start/end + {int(GRACE.total_seconds() // 60)} min), "
        "adding back what the daily reset subtracted (`counter_reset_ledger`), so hours "
        "across 03:00 are right. Zones whose counter fell by more than the ledger explains "
        "get no row: they are written to `zone_diff_issues` (kind `anomaly`) and fail the "
        "check; zones without a baseline and late boundary snapshots are recorded there too, "
        "as warnings. A back-fill of any range is one run that replaces the range's rows and "
        "issues in one transaction. An hour without any snapshot fails the run and nothing "
        "is written."
    ),
)
def zone_diff_stats(
    context: dg.AssetExecutionContext, daily_stats_db: PostgresResource
) -> dg.MaterializeResult:
    window = context.partition_time_window
    after, until = window.start + GRACE, window.end + GRACE
    snapshots = load_snapshots(daily_stats_db, after, until)
    resets = applied_resets(daily_stats_db, after - LOOKBACK, until)
    diffs = diff_window(snapshots, resets, window.start, window.end)
    if diffs.uncomputable:
        raise dg.Failure(
            description=(
                f"{DIFF_TABLE}: {len(diffs.uncomputable)} hour(s) of {_span(window)} cannot "
                "be computed and nothing was written; back-fill a range with snapshots:\n"
                + "\n".join(f"{hour.isoformat()}: {reason}" for hour, reason in diffs.uncomputable)
            )
        )
    hours = Range("timestamp", window.start, window.end)
    replaced = daily_stats_db.replace_tables(
        {
            DIFF_TABLE: (hours, pa.Table.from_pylist(diffs.rows, schema=DIFF_SCHEMA)),
            ISSUES_TABLE: (hours, pa.Table.from_pylist(diffs.issues, schema=ISSUES_SCHEMA)),
        }
    )
    for issue in diffs.issues:
        context.log.warning(_issue_text(issue))
    rows_per_hour = Counter(r["timestamp"] for r in diffs.rows)
    for key in context.partition_keys:  # a single-run backfill: each hour its own count
        hour = HOURS.time_window_for_partition_key(key).start
        context.add_asset_metadata({"dagster/row_count": rows_per_hour[hour]}, partition_key=key)
    busiest = sorted(diffs.rows, key=lambda r: (-r["dispatch_count"], r["zone_id"]))
    return dg.MaterializeResult(
        metadata={
            "rows_in_run": replaced[DIFF_TABLE].inserted,
            "hours": len(hour_starts(window.start, window.end)),
            "window": _span(window),
            "snapshots_read": len(snapshots),
            "resets_used": len({r.reset_at for r in resets}),
            "dispatch_sum": sum(r["dispatch_count"] for r in diffs.rows),
            "pickup_sum": sum(r["pickup_count"] for r in diffs.rows),
            "anomalies": sum(i["kind"] == ANOMALY for i in diffs.issues),
            **problems_metadata([_issue_text(i) for i in diffs.issues]),
            "preview": preview(busiest),
        }
    )


@dg.asset_check(
    asset=zone_diff_stats,
    description=(
        "No negative hourly diff: no stored count below 0, and no zone left out because its "
        "counter went down by more than the reset ledger explains (`zone_diff_issues`). "
        "Checks the run's hours; without a partition, the latest hour in the table."
    ),
)
def zone_diff_stats_no_negative_diff(
    context: dg.AssetCheckExecutionContext, daily_stats_db: PostgresResource
) -> dg.AssetCheckResult:
    if context.has_partition_key or context.has_partition_key_range:
        window = context.partition_time_window
        return negative_diff_check(daily_stats_db, window.start, window.end)
    latest = daily_stats_db.fetch_all(
        sql.SQL('SELECT max("timestamp") AS hour FROM {}').format(table_identifier(DIFF_TABLE))
    )
    hour = latest[0]["hour"]
    if hour is None:
        return dg.AssetCheckResult(passed=False, metadata={"problem": "no row yet"})
    return negative_diff_check(daily_stats_db, hour, hour + HOUR)


def negative_diff_check(
    db: PostgresResource, start: datetime, end: datetime
) -> dg.AssetCheckResult:
    negative = db.fetch_all(
        sql.SQL(
            'SELECT "timestamp", zone_id, dispatch_count, pickup_count FROM {} '
            'WHERE "timestamp" >= %s AND "timestamp" < %s '
            "AND (dispatch_count < 0 OR pickup_count < 0) ORDER BY 1, 2"
        ).format(table_identifier(DIFF_TABLE)),
        [start, end],
    )
    anomalies = db.fetch_all(
        sql.SQL(
            'SELECT "timestamp", zone_id, detail FROM {} '
            'WHERE "timestamp" >= %s AND "timestamp" < %s AND kind = %s ORDER BY 1, 2'
        ).format(table_identifier(ISSUES_TABLE)),
        [start, end, ANOMALY],
    )
    return dg.AssetCheckResult(
        passed=not negative and not anomalies,
        metadata={
            "negative_rows": len(negative),
            "anomalies": len(anomalies),
            "examples": preview([*negative, *anomalies]),
        },
    )


def _span(window: dg.TimeWindow) -> str:
    return f"[{window.start.isoformat()}, {window.end.isoformat()})"


def _issue_text(issue: dict) -> str:
    zone = issue["zone_id"] or "(hour)"
    return f"{issue['timestamp'].isoformat()} {zone} {issue['kind']}: {issue['detail']}"
