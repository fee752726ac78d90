"""Helpers of the counters' pipeline tests: seeding and reading the real moto tables, and
materializing the assets the way the code location does (its resources, quiet logs)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import dagster as dg

from taxi_platform.defs.counters.items import COUNT, DEFAULT_TABLES, FLAG_KEY, TAXI_KEY, ZONE_KEY
from taxi_platform.resources.postgres import PostgresResource

SEOUL = ZoneInfo("Asia/Seoul")
CLOCKED = {"zone_hourly_activity_log", "daily_zone_stats"}  # assets with `clock_at` config
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
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


def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """The metadata of the (last) materialization of `asset` in the run."""
    [materialization, *_] = [
        e.step_materialization_data.materialization
        for e in reversed(result.get_asset_materialization_events())
        if e.asset_key == dg.AssetKey(asset)
    ]
    return {k: v.value for k, v in materialization.metadata.items()}


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The text of the failed step's error (message and cause chain)."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                texts.append(error.message)
                error = error.cause
    return "\n".join(texts)
