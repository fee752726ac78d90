"""Grafana's live view: the counters and the fleet now, as tables, every 5 minutes.

Why 5 minutes (`TAXI_LIVE_VIEW_EVERY_MINUTES`), not every minute as before: each refresh is a
run (a process, a DynamoDB scan of four tables, a database transaction); 1,440 of them a day
were most of the platform's runs for a view whose source, the counter snapshots, moves every
5 minutes. The live dashboard refreshes at the same cadence and shows the tables' age.
"""

from datetime import UTC, datetime

import dagster as dg
import pyarrow as pa
from psycopg import sql

from taxi_platform.defs.counters import DOMAIN, sources
from taxi_platform.defs.counters.daily_stats import totals_result
from taxi_platform.defs.counters.metadata import preview, problems_metadata
from taxi_platform.defs.counters.reading import (
    read_fleet,
    read_totals,
    read_zone_counters,
    scan_counters,
    valid_zone_names,
)
from taxi_platform.defs.counters.stats import TotalsComparison
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.resources.postgres import PostgresResource, table_identifier
from taxi_platform.resources.reference import ReferenceDataResource
from taxi_platform.settings import every_minutes
from taxi_platform.table_schemas import table_metadata

LIVE_EVERY = every_minutes("TAXI_LIVE_VIEW_EVERY_MINUTES")
LIVE_ZONES = "live_zone_counters"
LIVE_TOTALS = "live_counter_totals"
LIVE_TAXIS = "live_taxi_destinations"
REFRESHED_AT = ("refreshed_at", pa.timestamp("us", tz="UTC"))
SCHEMAS = {
    LIVE_ZONES: pa.schema(
        [
            ("zone_id", pa.string()),
            ("dispatch_count", pa.int64()),
            ("pickup_count", pa.int64()),
            REFRESHED_AT,
        ]
    ),
    LIVE_TOTALS: pa.schema(
        [
            ("counter_type", pa.string()),
            ("total", pa.int64()),
            ("zone_sum", pa.int64()),
            REFRESHED_AT,
        ]
    ),
    LIVE_TAXIS: pa.schema(
        [
            ("taxi_id", pa.string()),
            ("status", pa.string()),
            ("destination_zone", pa.string()),
            ("updated_at", pa.timestamp("us", tz="UTC")),
            REFRESHED_AT,
        ]
    ),
}
DESCRIPTIONS = {
    LIVE_ZONES: "Per zone, dispatches and pickups since the last reset (today's counters).",
    LIVE_TOTALS: "The flag table's dispatch and pickup totals, beside the per-zone sums.",
    LIVE_TAXIS: (
        "Each taxi's status and destination zone; NULL destination = unassigned (view "
        "`live_unassigned_taxis`, the live warning panel)."
    ),
}


@dg.multi_asset(
    name="counters_live_view",
    specs=[
        dg.AssetSpec(
            table,
            group_name="counters",
            kinds={"dynamodb", "postgres"},
            deps=[
                sources.pickup_counters,
                sources.dispatch_counters,
                sources.flag_counters,
                sources.taxi_destinations,
                "taxi_zones",
            ],
            **DOMAIN.attributes("gold", tier=1),
            metadata=table_metadata("daily_stats_db", table),
            description=f"{text} Table `daily_stats_db.{table}`, replaced every 5 minutes.",
            freshness_policy=missed_runs(LIVE_EVERY, warn=3, fail=5),
        )
        for table, text in DESCRIPTIONS.items()
    ],
)
def counters_live_view(
    dynamodb: DynamoDBResource,
    daily_stats_db: PostgresResource,
    reference: ReferenceDataResource,
):
    """Scan the four tables and replace the three live tables in one transaction, so Grafana
    never sees them half refreshed. Bad items are left out and listed, never zero."""
    zones = valid_zone_names(reference)
    refreshed_at = datetime.now(UTC)
    scans = scan_counters(dynamodb)
    counters = read_zone_counters(dynamodb, zones, scans)
    totals = read_totals(dynamodb, scans)
    fleet = read_fleet(dynamodb, zones)
    sums = {"dispatch": sum(counters.dispatch.values()), "pickup": sum(counters.pickup.values())}
    rows = {
        LIVE_ZONES: [
            {"zone_id": z, "dispatch_count": d, "pickup_count": p} for z, d, p in counters.rows()
        ],
        LIVE_TOTALS: [
            {"counter_type": kind, "total": total, "zone_sum": sums[kind]}
            for kind, total in sorted(totals.values.items())
        ],
        LIVE_TAXIS: [
            {
                "taxi_id": t.taxi_id,
                "status": t.status,
                "destination_zone": t.destination_zone,
                "updated_at": t.updated_at,
            }
            for t in fleet.taxis
        ],
    }
    problems = {
        LIVE_ZONES: counters.problems,
        LIVE_TOTALS: totals.problems,
        LIVE_TAXIS: fleet.problems,
    }
    written = daily_stats_db.replace_tables(
        {
            table: (
                {},
                pa.Table.from_pylist(
                    [{**r, "refreshed_at": refreshed_at} for r in table_rows],
                    schema=SCHEMAS[table],
                ),
            )
            for table, table_rows in rows.items()
        }
    )
    for table in rows:
        yield dg.MaterializeResult(
            asset_key=table,
            metadata={
                "dagster/row_count": written[table].inserted,
                "refreshed_at": dg.MetadataValue.timestamp(refreshed_at),
                **problems_metadata(problems[table]),
                "preview": preview(rows[table]),
            },
        )


@dg.asset_check(
    asset=LIVE_TAXIS,
    description="WARN while any taxi has no assignment (no destination zone).",
)
def live_taxi_destinations_all_assigned(daily_stats_db: PostgresResource) -> dg.AssetCheckResult:
    unassigned = daily_stats_db.fetch_all(
        "SELECT taxi_id, status, updated_at FROM live_unassigned_taxis ORDER BY taxi_id"
    )
    return dg.AssetCheckResult(
        passed=not unassigned,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unassigned_taxis": len(unassigned),
            "taxis": dg.MetadataValue.json([r["taxi_id"] for r in unassigned[:50]]),
        },
    )


@dg.asset_check(
    asset=LIVE_TOTALS,
    description=(
        "The flag table's totals equal the sums of the per-zone counters, as the dispatch API "
        "server writes both: a small gap WARNs (traffic between the scans), a large one fails."
    ),
)
def live_counter_totals_match_zones(daily_stats_db: PostgresResource) -> dg.AssetCheckResult:
    rows = daily_stats_db.fetch_all(
        sql.SQL("SELECT counter_type, total, zone_sum FROM {}").format(
            table_identifier(LIVE_TOTALS)
        )
    )
    if not rows:
        return dg.AssetCheckResult(
            passed=False, metadata={"problem": "no totals in the flag table"}
        )
    return totals_result(
        {
            r["counter_type"]: TotalsComparison(total=r["total"], zone_sum=r["zone_sum"])
            for r in rows
        }
    )
