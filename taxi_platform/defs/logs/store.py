"""The log pipeline's reads and writes in the lake (through `LakeResource`'s one client).

Shared by `api_logs` and its checks, so that the checks read exactly what the asset would.
Objects are fetched by a few threads: an hour is ~20 landing objects, a day ~500, and on S3
each GET is a round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from taxi_platform.defs.logs.bronze import HourOutput, LandedBatch, quarantine_bytes
from taxi_platform.defs.logs.codec import encode_hour_object_sized, hour_object_key
from taxi_platform.defs.logs.layout import (
    LandingName,
    fetch_hours,
    landing_hour_prefix,
    parse_landing_key,
    quarantine_prefix,
    read_window,
)
from taxi_platform.resources.lake import LakeResource

READERS = 8


def landing_names(
    lake: LakeResource, hours: Sequence[datetime]
) -> tuple[list[LandingName], list[str]]:
    """Landing objects that can hold records of `hours`, and keys outside the layout."""
    start, end = read_window(list(hours))
    names, strays = [], []
    for fetch_hour in fetch_hours(list(hours)):
        for key in lake.list_keys(landing_hour_prefix(fetch_hour)):
            name = parse_landing_key(key)
            if name is None:
                strays.append(key)
            elif start <= name.fetched_at < end:
                names.append(name)
    return names, strays


def read_landing(lake: LakeResource, names: Sequence[LandingName]) -> list[LandedBatch]:
    bodies = _read_many(lake, [name.key for name in names])
    return [LandedBatch(name, body) for name, body in zip(names, bodies, strict=True)]


def read_quarantine(lake: LakeResource, hour: datetime) -> dict[str, dict[str, Any]]:
    """The hour's quarantine documents by key; one that is not a JSON object reads as {}."""
    keys = lake.list_keys(quarantine_prefix(hour))
    return {key: _json_object(body) for key, body in zip(keys, _read_many(lake, keys), strict=True)}


def write_hour(lake: LakeResource, output: HourOutput) -> dict[str, Any]:
    """Replace the hour's bronze object and quarantine documents; metadata of the hour."""
    key = hour_object_key(output.hour)
    blob, text_bytes = encode_hour_object_sized(output.records)
    lake.put_bytes(key, blob, "application/gzip")
    stale = set(lake.list_keys(quarantine_prefix(output.hour))) - set(output.quarantine)
    for quarantine_key, document in sorted(output.quarantine.items()):
        lake.put_bytes(quarantine_key, quarantine_bytes(document), "application/json")
    for quarantine_key in sorted(stale):
        lake.get_client().delete_object(Bucket=lake.bucket, Key=quarantine_key)
    return {
        "dagster/row_count": len(output.records),
        "records_in": output.landed,
        "records_written": len(output.records),
        "records_quarantined": output.quarantined_records,
        "late_records": output.late,
        "batches_quarantined": output.quarantined_batches,
        "duplicates": output.duplicates,
        "bytes_before_gzip": text_bytes,
        "bytes_after_gzip": len(blob),
        "key": key,
        "uri": f"s3://{lake.bucket}/{key}",
        "quarantine_reasons": output.quarantine_reasons,
        "quarantine_keys": sorted(output.quarantine),
    }


def _read_many(lake: LakeResource, keys: Sequence[str]) -> list[bytes]:
    lake.get_client()  # create the shared client before the threads race to
    with ThreadPoolExecutor(READERS) as pool:
        return list(pool.map(lake.get_bytes, keys))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
