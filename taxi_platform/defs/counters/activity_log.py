"""`zone_hourly_activity_log`: snapshots of the cumulative per-zone counters, every 5 minutes
(`TAXI_SNAPSHOT_EVERY_MINUTES`)."""

import dagster as dg

from taxi_platform.defs.counters import DOMAIN, sources
from taxi_platform.defs.counters.clock import CounterClockConfig
from taxi_platform.defs.counters.metadata import preview, problems_metadata
from taxi_platform.defs.counters.reading import read_zone_counters, valid_zone_names
from taxi_platform.defs.counters.reset import COUNTERS_LOCK, ensure_no_pending_reset
from taxi_platform.defs.counters.snapshots import SNAPSHOT_TABLE, latest_captures, write_snapshot
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.resources.reference import ReferenceDataResource
from taxi_platform.settings import every_minutes
from taxi_platform.table_schemas import table_metadata

SNAPSHOT_EVERY = every_minutes("TAXI_SNAPSHOT_EVERY_MINUTES")


@dg.asset(
    name=SNAPSHOT_TABLE,
    freshness_policy=missed_runs(SNAPSHOT_EVERY, warn=2, fail=3),  # Grafana: 15 min
    group_name="counters",
    kinds={"dynamodb", "postgres"},
    deps=[sources.pickup_counters, sources.dispatch_counters, "taxi_zones"],
    **DOMAIN.attributes("bronze", tier=2),
    metadata=table_metadata("daily_stats_db", SNAPSHOT_TABLE),
    description=(
        "Cumulative per-zone dispatch (`zone-count-dynamodb`) and pickup "
        "(`pickup-zone-dynamodb-s`) counters since the last reset, one snapshot per run, "
        "appended to `daily_stats_db.zone_hourly_activity_log` keyed by `captured_at` = when "
        "the scan started (schedule: every 5 minutes, `TAXI_SNAPSHOT_EVERY_MINUTES`). A "
        "snapshot is a live reading, so it is "
        "not partitioned and cannot be back-filled; a run with config `clock_at` (replays of "
        "simulated traffic) captures at exactly that instant and replaces a snapshot already "
        "taken then. Zone names are checked against the TLC zone table; bad items are left "
        "out and listed under `problem_list`, never counted as 0. The scan holds the counters "
        "lock shared, so it never interleaves with the daily reset, and the run refuses while "
        "a reset is pending (crashed): zone_diff_stats could not explain such a snapshot."
    ),
)
def zone_hourly_activity_log(
    context: dg.AssetExecutionContext,
    config: CounterClockConfig,
    dynamodb: DynamoDBResource,
    daily_stats_db: PostgresResource,
    reference: ReferenceDataResource,
) -> dg.MaterializeResult:
    zones = valid_zone_names(reference)
    clock = config.clock()
    with daily_stats_db.advisory_lock(COUNTERS_LOCK, shared=True):
        ensure_no_pending_reset(daily_stats_db)
        captured_at = clock.now()
        counters = read_zone_counters(dynamodb, zones)
    rows = counters.rows()
    written = write_snapshot(daily_stats_db, captured_at, rows)
    for problem in counters.problems:
        context.log.warning(f"left out of the snapshot: {problem}")
    busiest = sorted(rows, key=lambda r: (-r[1], r[0]))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "captured_at": dg.MetadataValue.timestamp(captured_at),
            "dispatch_sum": sum(r[1] for r in rows),
            "pickup_sum": sum(r[2] for r in rows),
            **problems_metadata(counters.problems),
            "preview": preview(
                [{"zone_id": z, "dispatch_count": d, "pickup_count": p} for z, d, p in busiest]
            ),
        }
    )


@dg.asset_check(
    asset=zone_hourly_activity_log,
    description=(
        "No zone vanished: every zone of the previous snapshot is in the latest one. Counter "
        "items are never deleted (a reset subtracts), so a missing zone had a bad item or was "
        "deleted, and zone_diff_stats cannot count it (WARN: the item is listed as a problem)."
    ),
)
def zone_hourly_activity_log_no_zone_vanished(
    daily_stats_db: PostgresResource,
) -> dg.AssetCheckResult:
    captures = latest_captures(daily_stats_db)
    if len(captures) < 2:
        return dg.AssetCheckResult(passed=True, metadata={"snapshots": len(captures)})
    (previous_at, previous), (latest_at, latest) = captures
    vanished = sorted(previous - latest)
    return dg.AssetCheckResult(
        passed=not vanished,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "previous": dg.MetadataValue.timestamp(previous_at),
            "latest": dg.MetadataValue.timestamp(latest_at),
            "vanished_zones": dg.MetadataValue.json(vanished),
        },
    )
