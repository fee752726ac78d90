"""Helpers of the counters' pipeline tests: seeding and reading the real moto tables, and
materializing the assets the way the code location does (its resources, quiet logs)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import boto3
import dagster as dg

from taxi_platform.defs.counters.activity_log import zone_hourly_activity_log
from taxi_platform.defs.counters.daily_stats import daily_zone_stats
from taxi_platform.defs.counters.items import COUNT, DEFAULT_TABLES, FLAG_KEY, TAXI_KEY, ZONE_KEY
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform_tests.support import QUIET, SEOUL

# The ops that take `clock_at` config.
CLOCKED = {a.op.name for a in (zone_hourly_activity_log, daily_zone_stats)}
KEYS = {
    DEFAULT_TABLES.pickup: ZONE_KEY,
    DEFAULT_TABLES.zone_dispatch: ZONE_KEY,
    DEFAULT_TABLES.flag: FLAG_KEY,
    DEFAULT_TABLES.destination: TAXI_KEY,
}
PG_TABLES = (
    "counter_resets",
    "counter_reset_ledger",
    "daily_zone_stats",
    "zone_diff_stats",
    "zone_diff_issues",
    "zone_hourly_activity_log",
    "live_zone_counters",
    "live_counter_totals",
    "live_taxi_destinations",
)


def busy_day_row(stat_date: date) -> dict[str, Any]:
    """The `daily_zone_stats` row of a busy day: 2061 pickups of 8145 dispatches, Midtown
    Center the busiest zone (276 pickups), Seaport the quietest (1)."""
    return {
        "stat_date": stat_date,
        "most_pickup_zone": "Midtown Center",
        "most_pickup_count": 276,
        "least_pickup_zone": "Seaport",
        "least_pickup_count": 1,
        "total_dispatch": 8145,
        "total_pickup": 2061,
        "dispatch_success_rate": Decimal("0.253"),
    }


def seoul(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SEOUL)


def client():
    return boto3.client("dynamodb")


def clear_counters() -> None:
    """Delete every item of the four counter tables (the session's moto server is shared)."""
    for table in KEYS:
        clear_table(table)


def clear_table(table: str) -> None:
    for item in scan_items(table):
        client().delete_item(TableName=table, Key={KEYS[table]: item[KEYS[table]]})


def scan_items(table: str) -> list[dict[str, Any]]:
    """Every item of `table` in the client's attribute-value form, all pages."""
    pages = client().get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def clear_tables(db: PostgresResource) -> None:
    db.execute(f"TRUNCATE {', '.join(PG_TABLES)}")


def put_items(table: str, items: Iterable[Mapping[str, Any]]) -> None:
    """Write raw attribute-value items (client form), 25 per BatchWriteItem."""
    requests = [{"PutRequest": {"Item": dict(item)}} for item in items]
    for start in range(0, len(requests), 25):
        client().batch_write_item(RequestItems={table: requests[start : start + 25]})


def counter_item(key_attribute: str, key: str, count: int) -> dict[str, Any]:
    return {key_attribute: {"S": key}, COUNT: {"N": str(count)}}


def seed_counters(
    dispatch: Mapping[str, int],
    pickup: Mapping[str, int],
    totals: tuple[int, int] | None = None,
) -> None:
    """Per-zone counters and the two totals (default: the per-zone sums, as the server keeps)."""
    put_items(
        DEFAULT_TABLES.zone_dispatch, (counter_item(ZONE_KEY, z, n) for z, n in dispatch.items())
    )
    put_items(DEFAULT_TABLES.pickup, (counter_item(ZONE_KEY, z, n) for z, n in pickup.items()))
    d, p = totals or (sum(dispatch.values()), sum(pickup.values()))
    put_items(
        DEFAULT_TABLES.flag,
        [counter_item(FLAG_KEY, "dispatch", d), counter_item(FLAG_KEY, "pickup", p)],
    )


def add(table: str, key: str, amount: int) -> None:
    client().update_item(
        TableName=table,
        Key={KEYS[table]: {"S": key}},
        UpdateExpression="ADD #c :n",
        ExpressionAttributeNames={"#c": COUNT},
        ExpressionAttributeValues={":n": {"N": str(amount)}},
    )


def counts(table: str) -> dict[str, int]:
    """{key: count} of a counter table, read independently of the platform's code."""
    return {i[KEYS[table]]["S"]: int(i[COUNT]["N"]) for i in scan_items(table)}


def materialize(
    assets: Sequence[Any],
    resources: Mapping[str, Any],
    *,
    partition_key: str | None = None,
    clock_at: datetime | None = None,
    tags: Mapping[str, str] | None = None,
    raise_on_error: bool = True,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """`dg.materialize`; `clock_at` replays the run at that instant (every asset taking it)."""
    run_config: dict[str, Any] = dict(QUIET)
    if clock_at is not None:
        run_config["ops"] = {
            a.op.name: {"config": {"clock_at": clock_at.isoformat()}}
            for a in assets
            if isinstance(a, dg.AssetsDefinition) and a.op.name in CLOCKED
        }
    return dg.materialize(
        list(assets),
        resources=dict(resources),
        partition_key=partition_key,
        run_config=run_config,
        tags=dict(tags or {}),
        raise_on_error=raise_on_error,
        instance=instance,
    )
