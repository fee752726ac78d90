"""`daily_zone_stats`: the business day's row and the lossless counter reset, with its checks."""

from collections.abc import Mapping
from datetime import date, timedelta

import dagster as dg

from taxi_platform.defs.counters import DOMAIN, sources
from taxi_platform.defs.counters.clock import CounterClockConfig
from taxi_platform.defs.counters.ledger import (
    APPLIED,
    DAILY_TABLE,
    latest_stat_date,
    load_daily_row,
    load_reset,
)
from taxi_platform.defs.counters.metadata import preview, problems_metadata
from taxi_platform.defs.counters.partitions import BUSINESS_DAYS
from taxi_platform.defs.counters.reading import valid_zone_names
from taxi_platform.defs.counters.reset import close_business_day, unstamped_items
from taxi_platform.defs.counters.stats import TotalsComparison, compare_totals, daily_row_problems
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.resources.reference import ReferenceDataResource
from taxi_platform.table_schemas import table_metadata

# Scans of the three tables are not atomic: a batch of the dispatch server can be in the
# totals and not yet in the zones (or the reverse). Such a difference is small and evens out
# the next day (WARN); a larger one means lost or foreign writes (ERROR).
TOTALS_TOLERANCE_MIN = 5
TOTALS_TOLERANCE_SHARE = 0.001


@dg.asset(
    partitions_def=BUSINESS_DAYS,
    freshness_policy=missed_runs(timedelta(days=1), fail=1, run_time=timedelta(hours=1)),
    group_name="counters",
    kinds={"dynamodb", "postgres"},
    deps=[
        sources.pickup_counters,
        sources.dispatch_counters,
        sources.flag_counters,
        "taxi_zones",
    ],
    **DOMAIN.attributes("gold", tier=1),
    metadata=table_metadata("daily_stats_db", DAILY_TABLE),
    description=(
        "One row per business day D = [D 03:00, D+1 03:00) TAXI_TIMEZONE in "
        "`daily_stats_db.daily_zone_stats`: most/least pickup zone with counts, dispatch and "
        "pickup totals (flag table), `dispatch_success_rate` = pickups / dispatches (NULL "
        "without dispatches). Scheduled at 03:00 for the day just closed.\n\n"
        "**First run of D**: reads the counters, commits the reset ledger "
        "(`counter_resets`, `counter_reset_ledger`) as *pending*, subtracts exactly what was "
        "read from each item (`ADD count -n`, so increments arriving meanwhile survive), then "
        "in one transaction marks the ledger *applied* and writes the row. Bad items are "
        "not reset and are listed in the ledger (check `counter_items_valid`).\n\n"
        "**Crash safety**: each item's update is conditional and stamps the day's marker, so "
        "a run that died after touching DynamoDB leaves a pending ledger that the next run of "
        "D resumes, skipping stamped items: no item is reset twice, none is missed. Snapshots "
        "refuse to run while a reset is pending.\n\n"
        "**Re-run / back-fill of D with a ledger**: the row is rebuilt from the ledger; "
        "nothing is read or reset again. **Back-fill of D without a ledger**: allowed only "
        "while no later day has been reset (the counters then hold everything since the last "
        "reset, shown as `counted_since`); otherwise the run fails naming D and the later "
        "reset, because the counters no longer hold D."
    ),
)
def daily_zone_stats(
    context: dg.AssetExecutionContext,
    config: CounterClockConfig,
    dynamodb: DynamoDBResource,
    daily_stats_db: PostgresResource,
    reference: ReferenceDataResource,
) -> dg.MaterializeResult:
    window = context.partition_time_window
    closed = close_business_day(
        date.fromisoformat(context.partition_key),
        dynamodb,
        daily_stats_db,
        valid_zone_names(reference),
        config.clock(),
    )
    reset, row = closed.reset, closed.reset.daily_row()
    context.log.info(f"{reset.stat_date}: {closed.action}")
    for problem in reset.problems:
        context.log.warning(f"not read and not reset: {problem}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 1,
            "business_day": f"[{window.start.isoformat()}, {window.end.isoformat()})",
            "action": closed.action,
            "read_at": dg.MetadataValue.timestamp(reset.read_at),
            "reset_at": dg.MetadataValue.timestamp(reset.reset_at),
            "counted_since": (
                dg.MetadataValue.timestamp(reset.counted_since)
                if reset.counted_since
                else "first reset: everything since the counters were created"
            ),
            "zones_reset": len(reset.subtracted),
            "item_updates_applied": closed.updates_applied,
            "item_updates_found_applied": closed.updates_found_applied,
            **problems_metadata(reset.problems),
            "row": preview([row]),
        }
    )


def _check(name: str, description: str):
    """A check of `daily_zone_stats` whose logic is `fn(db, stat_date)`: the run's business
    day, or the latest day in the table when the check runs without a partition."""

    def decorate(fn):
        @dg.asset_check(asset=daily_zone_stats, name=name, description=description)
        def check(
            context: dg.AssetCheckExecutionContext, daily_stats_db: PostgresResource
        ) -> dg.AssetCheckResult:
            if context.has_partition_key:
                return fn(daily_stats_db, date.fromisoformat(context.partition_key))
            latest = latest_stat_date(daily_stats_db)
            if latest is None:
                return dg.AssetCheckResult(passed=False, metadata={"problem": "no row yet"})
            return fn(daily_stats_db, latest)

        return check

    return decorate


def rate_check(db: PostgresResource, stat_date: date) -> dg.AssetCheckResult:
    row = load_daily_row(db, stat_date)
    problems = ["no row"] if row is None else daily_row_problems(row)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "dispatch_success_rate": str(row["dispatch_success_rate"]) if row else "no row",
            "problem_list": problems,
        },
    )


def totals_check(db: PostgresResource, stat_date: date) -> dg.AssetCheckResult:
    reset = load_reset(db, stat_date)
    if reset is None:
        return dg.AssetCheckResult(passed=False, metadata={"problem": "no reset ledger"})
    return totals_result(
        {
            "dispatch": compare_totals(reset.dispatches_by_zone(), reset.total_dispatch),
            "pickup": compare_totals(reset.pickups_by_zone(), reset.total_pickup),
        }
    )


def totals_result(comparisons: Mapping[str, TotalsComparison]) -> dg.AssetCheckResult:
    """Totals vs per-zone sums: equal passes, a small gap WARNs (traffic between the scans),
    a large one is an ERROR. Shared by the daily row and the live view."""
    within = all(
        c.agrees(max(TOTALS_TOLERANCE_MIN, int(c.total * TOTALS_TOLERANCE_SHARE)))
        for c in comparisons.values()
    )
    return dg.AssetCheckResult(
        passed=all(c.difference == 0 for c in comparisons.values()),
        severity=dg.AssetCheckSeverity.WARN if within else dg.AssetCheckSeverity.ERROR,
        metadata={
            f"{name}_{part}": getattr(c, part)
            for name, c in comparisons.items()
            for part in ("total", "zone_sum", "difference")
        },
    )


def ledger_check(db: PostgresResource, stat_date: date) -> dg.AssetCheckResult:
    reset = load_reset(db, stat_date)
    row = load_daily_row(db, stat_date)
    if reset is None or reset.status != APPLIED:
        problem = "no reset ledger" if reset is None else f"reset is {reset.status}"
        return dg.AssetCheckResult(passed=False, metadata={"problem": problem})
    expected = reset.daily_row()
    differing = sorted(k for k in expected if row is None or row[k] != expected[k])
    return dg.AssetCheckResult(
        passed=not differing,
        metadata={"differing_columns": differing, "rebuilt_from_ledger": preview([expected])},
    )


def items_check(db: PostgresResource, stat_date: date) -> dg.AssetCheckResult:
    reset = load_reset(db, stat_date)
    problems = ["no reset ledger"] if reset is None else list(reset.problems)
    return dg.AssetCheckResult(passed=not problems, metadata=problems_metadata(problems))


daily_zone_stats_rate_valid = _check(
    "rate_valid",
    "dispatch_success_rate is in [0, 1], NULL exactly when there was no dispatch; "
    "most >= least; zones and counts NULL together.",
)(rate_check)
daily_zone_stats_totals_match_zones = _check(
    "totals_match_zones",
    "The dispatch and pickup totals read (flag table) equal the sums of the per-zone counts "
    f"read. A difference within max({TOTALS_TOLERANCE_MIN}, {TOTALS_TOLERANCE_SHARE:.1%}) is a "
    "WARN (live traffic between the scans), a larger one an ERROR.",
)(totals_check)
daily_zone_stats_matches_reset_ledger = _check(
    "matches_reset_ledger",
    "The reset is applied and the stored row equals the row rebuilt from the reset ledger, "
    "i.e. from exactly what was read and subtracted.",
)(ledger_check)
daily_zone_stats_counter_items_valid = _check(
    "counter_items_valid",
    "Every counter item could be read: none had a missing or non-numeric count or an unknown "
    "zone name. Bad items are not reset; they stay in DynamoDB for repair.",
)(items_check)


@dg.asset_check(
    asset=daily_zone_stats,
    name="ledger_matches_item_markers",
    description="Every counter item the reset ledger says was subtracted carries the day's "
    "reset marker (or a later day's): a ledger that claims a subtraction the items do not "
    "show (edited or restored from elsewhere) is reported, never counted again.",
)
def daily_zone_stats_ledger_matches_item_markers(
    context: dg.AssetCheckExecutionContext,
    daily_stats_db: PostgresResource,
    dynamodb: DynamoDBResource,
) -> dg.AssetCheckResult:
    stat_date = (
        date.fromisoformat(context.partition_key)
        if context.has_partition_key
        else latest_stat_date(daily_stats_db)
    )
    reset = load_reset(daily_stats_db, stat_date) if stat_date else None
    if reset is None or reset.status != APPLIED:
        problem = "no applied reset ledger" if reset is None else f"reset is {reset.status}"
        return dg.AssetCheckResult(passed=False, metadata={"problem": problem})
    disagreeing = unstamped_items(dynamodb, reset)
    return dg.AssetCheckResult(
        passed=not disagreeing,
        description=(
            f"the ledger of {stat_date} claims subtractions from {len(disagreeing)} items that "
            f"carry no reset marker of {stat_date} or later (first: {disagreeing[0]})"
            if disagreeing
            else None
        ),
        metadata={"items_without_marker": disagreeing},
    )


DAILY_CHECKS = [
    daily_zone_stats_rate_valid,
    daily_zone_stats_totals_match_zones,
    daily_zone_stats_matches_reset_ledger,
    daily_zone_stats_counter_items_valid,
    daily_zone_stats_ledger_matches_item_markers,
]
