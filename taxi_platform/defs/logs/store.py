"""The log pipeline's reads and writes in the lake (through `LakeResource`'s one client).

An hour reads two kinds of landing objects (`layout`): those fetched in its read window, and
those its late index lists. It writes its bronze object, its quarantine documents, and, as
the fetch hour that owns landing objects holding late records, the late index entries of
the hours those records belong to.

Shared by `api_logs` and its checks, so that the checks read exactly what the asset would.
Objects are fetched, folders listed and hours written by a few threads: an hour is ~20
landing objects, a day ~500 and ~50 folders, and on S3 each request is a round trip.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from taxi_platform.defs.logs.bronze import HourOutput, LandedBatch, quarantine_bytes
from taxi_platform.defs.logs.codec import encode_hour_text, hour_object_key
from taxi_platform.defs.logs.layout import (
    LandingName,
    fetch_hours,
    landing_hour_prefix,
    landing_of_late_key,
    late_key,
    late_prefix,
    parse_landing_key,
    quarantine_prefix,
    read_window,
)
from taxi_platform.defs.logs.partitions import hour_partition_key
from taxi_platform.resources.lake import LakeResource
from taxi_platform.threads import each_in_threads

READERS = 8


def landing_names(
    lake: LakeResource, hours: Sequence[datetime]
) -> tuple[list[LandingName], list[str]]:
    """Landing objects that can hold records of `hours` (the read window's, then those the
    late indexes list, each once), and keys outside the layout. The folders are listed by a
    few threads: a day's run lists ~50 (fetch hours, late indexes), each a round trip."""
    start, end = read_window(list(hours))
    names: dict[str, LandingName] = {}
    strays = []
    folders = [landing_hour_prefix(fetch_hour) for fetch_hour in fetch_hours(list(hours))]
    late_prefixes = [late_prefix(hour) for hour in hours]
    listed = list_many(lake, folders + late_prefixes)
    for folder in folders:
        for key in listed[folder]:
            name = parse_landing_key(key)
            if name is None:
                strays.append(key)
            elif start <= name.fetched_at < end:
                names[name.key] = name
    late_names = []
    for prefix in late_prefixes:
        for key in listed[prefix]:
            name = landing_of_late_key(key)
            if name is None:
                strays.append(key)
            else:
                late_names.append(name)
    # landing folders of late objects, listed once each (unless listed above)
    late_folders = sorted({landing_hour_prefix(n.fetched_at) for n in late_names} - set(listed))
    listed.update(list_many(lake, late_folders))
    for name in late_names:
        # Landing expires (bucket lifecycle): an index entry can outlive its object, and a
        # rebuild then reads what landing still holds, as for the read window.
        if name.key in listed[landing_hour_prefix(name.fetched_at)]:
            names.setdefault(name.key, name)
    return list(names.values()), strays


def read_landing(lake: LakeResource, names: Sequence[LandingName]) -> list[LandedBatch]:
    bodies = read_many(lake, [name.key for name in names])
    return [LandedBatch(name, body) for name, body in zip(names, bodies, strict=True)]


def read_quarantine(lake: LakeResource, hour: datetime) -> dict[str, dict[str, Any]]:
    """The hour's quarantine documents by key; one that is not a JSON object reads as {}."""
    keys = lake.list_keys(quarantine_prefix(hour))
    return {key: _json_object(body) for key, body in zip(keys, read_many(lake, keys), strict=True)}


def write_hour(lake: LakeResource, output: HourOutput) -> dict[str, Any]:
    """Replace the hour's bronze object and quarantine documents, add the late index entries
    it owns (landing only grows, so entries are never stale); metadata of the hour."""
    key = hour_object_key(output.hour)
    blob = encode_hour_text(output.text)
    lake.put_bytes(key, blob, "application/gzip")
    stale = set(lake.list_keys(quarantine_prefix(output.hour))) - set(output.quarantine)
    for quarantine_key, document in sorted(output.quarantine.items()):
        lake.put_bytes(quarantine_key, quarantine_bytes(document), "application/json")
    for quarantine_key in sorted(stale):
        lake.get_client().delete_object(Bucket=lake.bucket, Key=quarantine_key)
    for hour, landings in sorted(output.late_index.items()):
        for landing in sorted(landings, key=lambda name: name.key):
            lake.put_bytes(late_key(hour, landing), landing.key.encode(), "text/plain")
    return {
        "dagster/row_count": len(output.records),
        "records_in": output.landed,
        "records_written": len(output.records),
        "records_quarantined": output.quarantined_records,
        "late_records": output.late,
        "late_hours": late_hours(output),
        "batches_quarantined": output.quarantined_batches,
        "duplicates": output.duplicates,
        "bytes_before_gzip": len(output.text),
        "bytes_after_gzip": len(blob),
        "key": key,
        "uri": f"s3://{lake.bucket}/{key}",
        "quarantine_reasons": output.quarantine_reasons,
        "quarantine_keys": sorted(output.quarantine),
    }


def late_hours(output: HourOutput) -> dict[str, str]:
    """Hours this (fetch) hour indexed late records for, by partition key, each with a digest
    of the landing objects: what the sensor `api_logs_late_hours` re-materializes, once per
    distinct set of late objects."""
    return {
        hour_partition_key(hour): hashlib.sha256(
            "\n".join(sorted(name.key for name in landings)).encode()
        ).hexdigest()[:16]
        for hour, landings in sorted(output.late_index.items())
    }


def read_many(lake: LakeResource, keys: Sequence[str]) -> list[bytes]:
    """The objects' bodies in `keys` order, fetched by `READERS` threads (Silver's day of
    bronze hours too): each GET is a round trip that waits, not a computation."""
    return in_threads(lake, lake.get_bytes, keys)


def list_many(lake: LakeResource, prefixes: Sequence[str]) -> dict[str, list[str]]:
    """The keys under each prefix, by prefix, listed by `READERS` threads."""
    return dict(zip(prefixes, in_threads(lake, lake.list_keys, prefixes), strict=True))


def write_hours(lake: LakeResource, outputs: Sequence[HourOutput]) -> list[dict[str, Any]]:
    """`write_hour` of each hour by `READERS` threads (hours write disjoint keys: their own
    object, quarantine folder and late index entries); metadata in `outputs` order."""
    return in_threads(lake, lambda output: write_hour(lake, output), outputs)


def in_threads(lake: LakeResource, call: Callable[[Any], Any], items: Sequence) -> list:
    """`call` of each item by `READERS` threads sharing the lake's client, results in
    `items` order; an exception is raised once every call has ended."""
    lake.get_client()  # create the shared client before the threads race to
    return each_in_threads(call, items, READERS)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
