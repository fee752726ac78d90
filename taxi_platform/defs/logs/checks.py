"""Checks of `api_logs`, on what the lake holds after the run (not on what the run thought).

A check covers the hours of its run: one hour, or a backfill's range (the check is not
itself partitioned: partitioned checks are a preview in 1.13 and lose their partition in
range runs), and names the failing hours in its metadata. Run alone, it checks the latest
materialized hour.

- no loss: the landing objects of each hour (its read window and its late index), decrypted
  again, hold exactly `written (lines of the bronze object) + quarantined (records in its
  quarantine documents) + duplicates (the materialization's metadata)` records attributed
  to it, and as many unreadable batches as quarantine holds. Late records count in their
  own hour only, so the identity also holds summed over hours. It fails when landing
  changed since (a batch landed in the window after the run: materialize the hour again)
  or when an object was lost or edited.
- key layout: the hour's folder holds exactly `logs/YYYY/MM/DD/HH/api_logs.jsonl.gz`, and
  every quarantine document is named after a landing object the hour reads.
- decodes: the object is gzip JSON lines, every record decompresses (codec), lies in the
  hour, and appears once.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dagster as dg

from taxi_platform.defs.logs.bronze import HourOutput, build_hours
from taxi_platform.defs.logs.codec import (
    CodecError,
    decode_hour_object,
    decompress_records,
    distinct_records,
    group_by_hour,
    hour_object_key,
)
from taxi_platform.defs.logs.layout import (
    LandingName,
    hours_between,
    quarantine_prefix,
    read_window,
)
from taxi_platform.defs.logs.partitions import hour_partition_key, hourly_partitions
from taxi_platform.defs.logs.store import (
    in_threads,
    landing_names,
    read_landing,
    read_quarantine,
)
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.log_api import LogApiResource

API_LOGS = dg.AssetKey("api_logs")
NO_LOSS, KEY_LAYOUT, DECODES = "no_loss", "key_layout", "decodes"


def no_loss_problem(
    expected: HourOutput, written: int, quarantine: dict[str, dict[str, Any]], duplicates: int
) -> str | None:
    """None when the identity holds for the hour, else what differs."""
    quarantined = sum(len(doc.get("records", [])) for doc in quarantine.values())
    batches = sum(doc.get("batch_error") is not None for doc in quarantine.values())
    if expected.landed != written + quarantined + duplicates:
        return (
            f"landed {expected.landed} != written {written} + quarantined {quarantined} "
            f"+ duplicates {duplicates}"
        )
    if expected.quarantined_batches != batches:
        return f"{expected.quarantined_batches} unreadable batches landed, {batches} quarantined"
    return None


def _checked_hours(context: dg.AssetCheckExecutionContext) -> list[datetime]:
    if context.has_partition_key or context.has_partition_key_range:
        window = context.partition_time_window
        return hours_between(window.start, window.end)
    event = context.instance.get_latest_materialization_event(API_LOGS)
    partition = event.asset_materialization.partition if event else None
    if partition is None:
        return []
    start = hourly_partitions.time_window_for_partition_key(partition).start
    return [start]


def _latest_metadata(
    instance: dg.DagsterInstance, hours: list[datetime]
) -> dict[datetime, dict[str, Any]]:
    """The latest materialization's metadata of each hour that has one. Newest first, so
    the first record of a partition is its latest: usually one query for a day of hours."""
    wanted = {hour_partition_key(hour): hour for hour in hours}
    found: dict[datetime, dict[str, Any]] = {}
    cursor = None
    while len(found) < len(wanted):
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=API_LOGS, asset_partitions=list(wanted)),
            limit=max(100, 2 * len(wanted)),
            cursor=cursor,
        )
        for record in page.records:
            materialization = record.asset_materialization
            hour = wanted.get(materialization.partition) if materialization else None
            if hour is not None and hour not in found:
                found[hour] = {k: v.value for k, v in materialization.metadata.items()}
        if not page.has_more:
            break
        cursor = page.cursor
    return found


def _bronze_records(lake: LakeResource, hour: datetime) -> list[dict[str, Any]] | str:
    """The hour's compressed records, or why they cannot be read."""
    try:
        return decode_hour_object(lake.get_bytes(hour_object_key(hour)))
    except lake.get_client().exceptions.NoSuchKey:
        return f"{hour_object_key(hour)} is missing"
    except CodecError as exc:
        return f"{hour_object_key(hour)}: {exc}"


def _result(name: str, hours: list[datetime], problems: dict[str, str]) -> dg.AssetCheckResult:
    if not hours:
        return dg.AssetCheckResult(
            check_name=name, passed=False, description="api_logs was never materialized"
        )
    first = next(iter(problems.items()), None)
    return dg.AssetCheckResult(
        check_name=name,
        passed=not problems,
        description=f"{len(problems)} of {len(hours)} hours fail, first {first[0]}: {first[1]}"
        if first
        else None,
        metadata={
            "hours_checked": len(hours),
            "first_hour": hour_partition_key(hours[0]),
            "last_hour": hour_partition_key(hours[-1]),
            "failing_hours": problems,
        },
    )


def _no_loss(
    metadata: dict[str, Any] | None,
    expected: HourOutput,
    records: list[dict[str, Any]] | str,
    quarantine: dict[str, dict[str, Any]],
) -> str | None:
    if metadata is None:
        return "no materialization recorded"
    if isinstance(records, str):
        return records
    return no_loss_problem(expected, len(records), quarantine, metadata["duplicates"])


def _key_layout(
    hour: datetime, folder_keys: list[str], quarantine: dict[str, Any], landed: list[LandingName]
) -> str | None:
    folder = hour_folder(hour)
    if folder_keys != [hour_object_key(hour)]:
        return f"{folder} holds {folder_keys}, expected only {hour_object_key(hour)}"
    start, end = read_window([hour])
    names = {name.name for name in landed if start <= name.fetched_at < end}
    prefix = quarantine_prefix(hour)
    orphans = sorted(key for key in quarantine if key.removeprefix(prefix) not in names)
    return f"quarantine documents without a landing object: {orphans}" if orphans else None


def hour_folder(hour: datetime) -> str:
    return hour_object_key(hour).rsplit("/", 1)[0] + "/"


def _hour_reads(lake: LakeResource, hour: datetime) -> tuple[Any, dict[str, Any], list[str]]:
    """What the checks read of one hour: its records (or why not), its quarantine
    documents, the keys of its folder."""
    folder_keys = lake.list_keys(hour_folder(hour))
    return _bronze_records(lake, hour), read_quarantine(lake, hour), folder_keys


def _decodes(hour: datetime, records: list[dict[str, Any]] | str) -> str | None:
    if isinstance(records, str):
        return records
    _, rejected = decompress_records(records)
    if rejected:
        return f"{len(rejected)} records do not decompress, first: {rejected[0].error}"
    outside = sorted(h for h in group_by_hour(records) if h != hour)
    if outside:
        return f"records of other hours: {[hour_partition_key(h) for h in outside]}"
    if len(distinct_records(records)[0]) != len(records):
        return "a record appears more than once"
    return None


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            NO_LOSS,
            asset=API_LOGS,
            blocking=True,
            description="Landed records = written + quarantined + duplicates, hour by hour.",
        ),
        dg.AssetCheckSpec(
            KEY_LAYOUT,
            asset=API_LOGS,
            description="Each hour folder holds exactly its object; quarantine names landing "
            "objects of the hour.",
        ),
        dg.AssetCheckSpec(
            DECODES,
            asset=API_LOGS,
            blocking=True,
            description="The object decodes, every record decompresses, lies in the hour and "
            "appears once.",
        ),
    ],
)
def api_logs_checks(
    context: dg.AssetCheckExecutionContext, lake: LakeResource, log_api: LogApiResource
) -> Iterator[dg.AssetCheckResult]:
    """The three checks in one step: they share the reads, and a step is a process."""
    hours = _checked_hours(context)
    landed, _ = landing_names(lake, hours) if hours else ([], [])
    expected = build_hours(read_landing(lake, landed), hours, log_api.fernet()).hours
    metadata = _latest_metadata(context.instance, hours) if hours else {}
    problems: dict[str, dict[str, str]] = {NO_LOSS: {}, KEY_LAYOUT: {}, DECODES: {}}
    # per hour 3+ round trips, none depending on another hour's
    reads = in_threads(lake, lambda hour: _hour_reads(lake, hour), hours)
    for hour, (records, quarantine, folder_keys) in zip(hours, reads, strict=True):
        found = {
            NO_LOSS: _no_loss(metadata.get(hour), expected[hour], records, quarantine),
            KEY_LAYOUT: _key_layout(hour, folder_keys, quarantine, landed),
            DECODES: _decodes(hour, records),
        }
        for name, problem in found.items():
            if problem:
                problems[name][hour_partition_key(hour)] = problem
    for name, failing in problems.items():
        yield _result(name, hours, failing)
