"""Silver `click_events`: UTC days of bronze `api_logs` hours, decoded, typed, deduplicated.

Reads each day's 24 hourly bronze objects (`logs/YYYY/MM/DD/HH/api_logs.jsonl.gz`), decodes
the compressed records back to full values with the log codec, types them
(`silver_schema`), drops exact duplicates and writes one Parquet object per day, replacing
whatever the day held before, so a re-run gives the same bytes.

A run covers one day or a range of days (`BackfillPolicy.single_run`: a week's backfill, or
an automation tick that finds several days complete, is one run, not one per day). Each day
is still built and replaced on its own, from its own hours, so a range run writes exactly
the objects the per-day runs would, and each day's partition gets its own metadata.

A missing hour is not silently skipped: the day is written from the hours present, its
metadata lists what is missing, and the blocking check `all_hours_present` fails naming the
day and its hours, which keeps the marts (downstream, same run or automation) from being
built on an incomplete day.

A bronze record the codec refuses (written before bronze validated it as strictly as now,
or edited since) does not stop the day: it is set aside in
`quarantine/click_events/event_date=YYYY-MM-DD/HH.json` with the codec's reason, the rest of
the day is published, the metadata counts it by reason, and the check `nothing_quarantined`
fails naming the days and how many.

The checks are not partitioned (as `api_logs`' checks: partitioned checks are a preview in
1.13 and lose their partition in range runs): each covers the days of its run and names the
failing days in its metadata (`failing_days`).
"""

import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from taxi_platform.defs.clicks import DOMAIN
from taxi_platform.defs.clicks.columns import column_schema, column_table
from taxi_platform.defs.clicks.silver_schema import (
    SILVER_COLUMNS,
    SILVER_SCHEMA,
    drop_exact_duplicates,
    hour_table,
)
from taxi_platform.defs.logs.codec import (
    CodecError,
    Rejected,
    decode_hour_object,
    decompress_records,
)
from taxi_platform.defs.logs.codec import hour_object_key as bronze_key
from taxi_platform.defs.logs.partitions import daily_partitions, eager_with_late_days
from taxi_platform.defs.logs.store import read_many
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.lake import LakeResource

API_LOGS = dg.AssetKey("api_logs")
SILVER_PREFIX = "silver/click_events"
SILVER_OBJECT = "part-0.parquet"
HOURS_CHECK = "all_hours_present"
QUARANTINE_CHECK = "nothing_quarantined"
QUARANTINE_PREFIX = "quarantine/click_events"
HOUR_KEY_FORMAT = "%Y-%m-%d-%H:%M"  # the hourly partition keys of `api_logs`


def silver_prefix(day: date) -> str:
    return f"{SILVER_PREFIX}/event_date={day.isoformat()}/"


def silver_key(day: date) -> str:
    return silver_prefix(day) + SILVER_OBJECT


def day_hours(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return [start + timedelta(hours=h) for h in range(24)]


def missing_hours_message(day: date, missing: list[datetime]) -> str | None:
    """The check's failure message: every missing hour as its `api_logs` partition key."""
    if not missing:
        return None
    hours = ", ".join(f"{h:{HOUR_KEY_FORMAT}}" for h in missing)
    return (
        f"{len(missing)} of 24 hours of {day.isoformat()} missing in bronze: {hours} "
        f"(no object {bronze_key(missing[0])}{' …' if len(missing) > 1 else ''})"
    )


def quarantine_prefix(day: date) -> str:
    return f"{QUARANTINE_PREFIX}/event_date={day.isoformat()}/"


def quarantine_key(hour: datetime) -> str:
    return f"{quarantine_prefix(hour.date())}{hour:%H}.json"


def _read_hour(hour: datetime, body: bytes) -> tuple[pa.Table, int, int, list[Rejected]]:
    """(deduplicated typed rows, records read, duplicates dropped, records set aside) of one
    bronze hour's object. Only an object that cannot be read at all fails the run."""
    try:
        compressed = decode_hour_object(body)
        records, rejected = decompress_records(compressed)
        typed = hour_table(records, hour)
    except (CodecError, ValueError) as exc:
        raise dg.Failure(f"bronze object {bronze_key(hour)} is corrupt: {exc}") from None
    unique, dropped = drop_exact_duplicates(typed)
    return unique, len(compressed), dropped, rejected


def _write_quarantine(lake: LakeResource, day: date, rejected: dict[datetime, list[Rejected]]):
    """Replace the day's quarantine documents: one per hour with records set aside."""
    keys = set()
    for hour, hour_rejected in rejected.items():
        if not hour_rejected:
            continue
        document = {
            "bronze_key": bronze_key(hour),
            "records": [
                {
                    "error": type(r.error).__name__,
                    "reason": str(r.error),
                    "field": r.error.field,
                    "index": r.index,
                    "record": r.record,
                }
                for r in hour_rejected
            ],
        }
        body = json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1)
        # backslashreplace: a lone surrogate only occurs inside JSON strings, as its escape
        lake.put_bytes(
            quarantine_key(hour), body.encode("utf-8", "backslashreplace"), "application/json"
        )
        keys.add(quarantine_key(hour))
    client = lake.get_client()
    for stale in set(lake.list_keys(quarantine_prefix(day))) - keys:
        client.delete_object(Bucket=lake.bucket, Key=stale)
    return sorted(keys)


def _write_day(lake: LakeResource, day: date, table: pa.Table) -> tuple[str, int]:
    """Put the day's Parquet object, then delete any other object of the day (older layouts):
    the prefix then holds exactly this run's output. Returns (key, bytes)."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    key = silver_key(day)
    lake.put_bytes(key, buffer.getvalue(), "application/vnd.apache.parquet")
    client = lake.get_client()
    for stale in set(lake.list_keys(silver_prefix(day))) - {key}:
        client.delete_object(Bucket=lake.bucket, Key=stale)
    return key, buffer.getbuffer().nbytes


@dataclass(frozen=True)
class SilverDay:
    """What building one day wrote and found: its partition's metadata and its checks'
    findings (None: the check passes for the day)."""

    day: date
    metadata: dict[str, Any]
    missing_hours: str | None
    quarantined: str | None


def build_day(lake: LakeResource, day: date) -> SilverDay:
    """Replace the day's Silver object and quarantine documents from its bronze hours."""
    present = set(lake.list_keys(f"logs/{day:%Y/%m/%d}/"))
    hours = [h for h in day_hours(day) if bronze_key(h) in present]
    missing = [h for h in day_hours(day) if bronze_key(h) not in present]
    tables, records_read, dropped = [SILVER_SCHEMA.empty_table()], 0, 0
    rejected: dict[datetime, list[Rejected]] = {}
    bodies = read_many(lake, [bronze_key(hour) for hour in hours])
    for hour, body in zip(hours, bodies, strict=True):
        table, read, duplicates, rejected[hour] = _read_hour(hour, body)
        tables.append(table)
        records_read += read
        dropped += duplicates
    day_table = pa.concat_tables(tables)
    key, size = _write_day(lake, day, day_table)
    quarantine_keys = _write_quarantine(lake, day, rejected)
    reasons = Counter(
        r.error.field or "record" for hour_rejected in rejected.values() for r in hour_rejected
    )
    quarantined = sum(reasons.values())
    kinds = day_table.column("event_kind").value_counts().to_pylist()
    return SilverDay(
        day=day,
        metadata={
            "dagster/row_count": day_table.num_rows,
            "bronze_records": records_read,
            "duplicates_dropped": dropped,
            "records_quarantined": quarantined,
            "quarantine_reasons": dict(sorted(reasons.items())),
            "quarantine_keys": quarantine_keys,
            "hours_present": len(hours),
            "missing_hours": [f"{h:{HOUR_KEY_FORMAT}}" for h in missing],
            "events_by_kind": {k["values"]: k["counts"] for k in kinds},
            "bytes": size,
            "key": key,
            "uri": f"s3://{lake.bucket}/{key}",
        },
        missing_hours=missing_hours_message(day, missing),
        quarantined=(
            f"{quarantined} bronze records of {day.isoformat()} cannot be stored in Silver and "
            f"were set aside in {quarantine_prefix(day)} "
            f"(by field: {dict(sorted(reasons.items()))})"
            if quarantined
            else None
        ),
    )


def run_days(context: dg.AssetExecutionContext) -> list[date]:
    """The UTC days of the run: one partition, or a range run's every day."""
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=n) for n in range((end - first).days)]


def range_check_result(name: str, built: list[SilverDay], problem: str) -> dg.AssetCheckResult:
    """One check over the run's days: passes when no day has `problem` (a `SilverDay`
    field), else names the first failing day and lists every one in `failing_days`."""
    failing = {d.day.isoformat(): getattr(d, problem) for d in built if getattr(d, problem)}
    first = next(iter(failing.items()), None)
    return dg.AssetCheckResult(
        check_name=name,
        passed=not failing,
        description=(
            f"{len(failing)} of {len(built)} days fail, first {first[0]}: {first[1]}"
            if first
            else None
        ),
        metadata={
            "days_checked": len(built),
            "first_day": built[0].day.isoformat(),
            "last_day": built[-1].day.isoformat(),
            "failing_days": failing,
        },
    )


def incomplete_days(instance: dg.DagsterInstance, days: list[date]) -> dict[str, list[str]]:
    """Days whose latest Silver (as this instance recorded it) misses bronze hours, with
    those hours. The marts refuse them: `all_hours_present` covers a run's days, not one
    day, so the automation's check gate is per run and this is the per-day one. A day
    without a recorded materialization is not judged here."""
    incomplete = {}
    for day in days:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("click_events"), asset_partitions=[day.isoformat()]
            ),
            limit=1,
        ).records
        found = records[0].asset_materialization if records else None
        missing = found.metadata.get("missing_hours") if found else None
        if missing is not None and missing.value:
            incomplete[day.isoformat()] = list(missing.value)
    return incomplete


# Day D's last bronze hour is built at D+1 00:15 UTC; Silver, then Gold, follow within minutes.
DAILY_FRESHNESS = missed_runs(timedelta(days=1), fail=1, run_time=timedelta(hours=2))


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    freshness_policy=DAILY_FRESHNESS,
    deps=[dg.AssetDep(API_LOGS, partition_mapping=dg.TimeWindowPartitionMapping())],
    group_name="silver",
    **DOMAIN.attributes("silver", tier=2),
    kinds={"s3", "parquet"},
    description=(
        "Click events of UTC days, one row per distinct logged event: each day's 24 hourly "
        "`api_logs` objects decoded to full values (codec), typed, exact duplicates dropped "
        "(the same record logged twice), sorted by `event_ts` then every column. Written to "
        "`silver/click_events/event_date=YYYY-MM-DD/part-0.parquet` (zstd), replacing the "
        "day; a range of days is one run, each day replaced on its own. Materialized "
        "automatically once all 24 hours of a day are in bronze, and again when a bronze "
        "hour of the day is re-materialized (late records) within 8 days.\n\n"
        + column_table(SILVER_COLUMNS)
    ),
    metadata={"dagster/column_schema": column_schema(SILVER_COLUMNS)},
    check_specs=[
        dg.AssetCheckSpec(
            HOURS_CHECK,
            asset="click_events",
            blocking=True,
            description="All 24 hourly bronze objects of each day of the run exist; the "
            "failure names the days and their missing hours (`failing_days`). Blocking: the "
            "marts are not built on an incomplete day.",
        ),
        dg.AssetCheckSpec(
            QUARANTINE_CHECK,
            asset="click_events",
            description="No bronze record of the run's days had to be set aside as "
            "unstorable (quarantine/click_events/…, with reasons; `failing_days`). Not "
            "blocking: the rest of each day is published.",
        ),
    ],
    automation_condition=eager_with_late_days(),
)
def click_events(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    built = []
    for day in run_days(context):
        silver_day = build_day(lake, day)
        context.add_asset_metadata(silver_day.metadata, partition_key=day.isoformat())
        if silver_day.missing_hours:
            context.log.warning(silver_day.missing_hours)
        if silver_day.quarantined:
            context.log.error(silver_day.quarantined)
        built.append(silver_day)
    return dg.MaterializeResult(  # the metadata is per day, above
        check_results=[
            range_check_result(HOURS_CHECK, built, "missing_hours"),
            range_check_result(QUARANTINE_CHECK, built, "quarantined"),
        ],
    )
