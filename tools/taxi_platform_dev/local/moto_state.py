"""The moto servers' S3 objects and DynamoDB tables saved to one file, and loaded back.

Why: moto keeps everything in memory, so without this a stopped stack forgot the lake and the
counters while PostgreSQL's data folder kept the rest; `stack down` saves, `stack up` loads,
as an AWS account keeps its data between sessions.

Why through moto's public API (boto3) and not its internals: pickled backends break with the
next moto release, and moto's recorder replays every request ever made (reads too, in a file
that only grows). What the API shows is what the platform sees, and what any moto reads back.

Why one zip written beside the last one and renamed over it: `os.replace` is atomic, so a
crash mid-save leaves the previous save whole. Bodies are stored, not compressed again (the
lake's Parquet and gzip hours are compressed already); the manifest is written last.

Kept: buckets; objects' bytes, content type and encoding, user metadata and ETag (an object
uploaded in N parts is uploaded again in the same parts, their size found from its ETag, so
ETag cursors such as the trip-file sensor's see no change); tables of the stack's region with
their keys, indexes and billing mode, and their items. Not kept: LastModified (moto stamps
the load time), object versions, bucket settings, DynamoDB TTL and streams.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from taxi_platform.settings import ConfigError
from taxi_platform_dev.local.moto import Endpoints, clients

FORMAT = 1
MIB = 1024 * 1024
OBJECT_FIELDS = ("ContentType", "ContentEncoding", "Metadata")  # kept beside the bytes
THREADS = 4  # requests in flight while saving or loading
WINDOW = 32  # objects held in memory at a time
# Part sizes of the uploaders that write the lake (boto3 8 MiB, S3A 64 MiB, the 5 MiB minimum,
# 16 and 100 MiB, common choices), tried in turn when an ETag says an object came in parts.
PART_SIZES = (8 * MIB, 5 * MIB, 16 * MIB, 64 * MIB, 100 * MIB)
PROGRESS_EVERY = 5.0  # seconds between progress lines while saving or loading


@dataclass
class Tally:
    """What a save or load moved, and progress lines while it runs (every few seconds)."""

    say: Callable[[str], None]
    verb: str
    objects: int = 0
    size: int = 0
    items: int = 0
    tables: int = 0
    etags_changed: int = 0

    def __post_init__(self) -> None:
        self.started = self.last = time.monotonic()

    def add(self, size: int) -> None:
        self.objects += 1
        self.size += size
        if time.monotonic() - self.last >= PROGRESS_EVERY:
            self.last = time.monotonic()
            self.say(f"  … {self.verb} {self.objects} objects ({self.size / MIB:.1f} MB)")

    def summary(self) -> str:
        changed = f", {self.etags_changed} with a new ETag" if self.etags_changed else ""
        return (
            f"{self.objects} objects ({self.size / MIB:.1f} MB{changed}), {self.items} items in "
            f"{self.tables} tables in {time.monotonic() - self.started:.1f}s"
        )


def _encode(value: Any) -> Any:
    """DynamoDB binary values (B, BS) as JSON."""
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode()}
    raise TypeError(f"{type(value).__name__} in a DynamoDB item")


def _decode(value: dict) -> Any:
    if value.keys() == {"$base64"} and isinstance(value["$base64"], str):
        return base64.b64decode(value["$base64"])
    return value


def _table_spec(table: dict) -> dict:
    """The `create_table` arguments that rebuild a described table."""
    mode = table.get("BillingModeSummary", {}).get("BillingMode") or (
        "PAY_PER_REQUEST"
        if not table.get("ProvisionedThroughput", {}).get("ReadCapacityUnits")
        else "PROVISIONED"
    )

    def throughput(described: dict) -> dict:
        if mode == "PAY_PER_REQUEST":
            return {}
        units = described.get("ProvisionedThroughput", {})
        return {
            "ProvisionedThroughput": {
                "ReadCapacityUnits": units.get("ReadCapacityUnits") or 1,
                "WriteCapacityUnits": units.get("WriteCapacityUnits") or 1,
            }
        }

    spec = {
        "TableName": table["TableName"],
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": mode,
        **throughput(table),
    }
    indexes = {"GlobalSecondaryIndexes": True, "LocalSecondaryIndexes": False}
    for kind, is_global in indexes.items():
        if table.get(kind):
            spec[kind] = [
                {
                    "IndexName": index["IndexName"],
                    "KeySchema": index["KeySchema"],
                    "Projection": index["Projection"],
                    **(throughput(index) if is_global else {}),
                }
                for index in table[kind]
            ]
    return spec


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, moved over it (durably) only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        with tmp.open("rb") as written:
            os.fsync(written.fileno())
        tmp.chmod(0o600)
        os.replace(tmp, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    finally:
        tmp.unlink(missing_ok=True)


def _windows(items: Iterable[Any], size: int = WINDOW) -> Iterator[list[Any]]:
    window: list[Any] = []
    for item in items:
        window.append(item)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def _write_entry(archive: zipfile.ZipFile, entry: str, body: bytes) -> None:
    with archive.open(entry, "w", force_zip64=True) as out:
        out.write(body)


def _scan_tables(dynamodb) -> list[tuple[dict, list[dict]]]:
    """(create_table arguments, items) of every table."""
    return [
        (
            _table_spec(dynamodb.describe_table(TableName=table)["Table"]),
            [
                item
                for scanned in dynamodb.get_paginator("scan").paginate(TableName=table)
                for item in scanned["Items"]
            ],
        )
        for page in dynamodb.get_paginator("list_tables").paginate()
        for table in page["TableNames"]
    ]


def save(
    endpoints: Endpoints, region: str, path: Path, say: Callable[[str], None] = print
) -> Tally:
    """Every bucket's objects and every table's items of the stack's servers, to `path`.

    Objects are fetched a window at a time by a few threads (moto serves each request in a
    thread of its own) and written in listing order by this one; the tables are scanned
    meanwhile by one more thread (they live in a server of their own)."""
    s3, dynamodb = clients(endpoints, region)
    tally = Tally(say, "saved")
    manifest: dict[str, Any] = {"format": FORMAT, "buckets": [], "tables": []}

    def fetch(bucket: str, key: str) -> tuple[dict, bytes]:
        response = s3.get_object(Bucket=bucket, Key=key)
        return response, response["Body"].read()

    with (
        _replacing(path) as tmp,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive,
        ThreadPoolExecutor(THREADS) as pool,
        ThreadPoolExecutor(1) as table_thread,
    ):
        tables = table_thread.submit(_scan_tables, dynamodb)
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
            objects = []
            listed = (
                listed["Key"]
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name)
                for listed in page.get("Contents", [])
            )
            for keys in _windows(listed):
                fetched = pool.map(fetch, repeat(name), keys)
                for key, (response, body) in zip(keys, fetched, strict=True):
                    entry = f"s3/{tally.objects}"
                    _write_entry(archive, entry, body)
                    extra = {f: response[f] for f in OBJECT_FIELDS if response.get(f)}
                    etag = response["ETag"].strip('"')
                    objects.append({"key": key, "entry": entry, "etag": etag, "extra": extra})
                    tally.add(len(body))
            manifest["buckets"].append({"name": name, "location": location, "objects": objects})
        for spec, items in tables.result():
            entry = f"dynamodb/{len(manifest['tables'])}.json"
            archive.writestr(entry, json.dumps(items, default=_encode))
            manifest["tables"].append({"spec": spec, "entry": entry})
            tally.items += len(items)
            tally.tables += 1
        archive.writestr("manifest.json", json.dumps(manifest))
    return tally


def multipart_etag(body: bytes, part_size: int) -> str:
    """S3's ETag of `body` uploaded in parts of `part_size`: md5 of the parts' md5s, '-N'."""
    digests = [
        hashlib.md5(body[start : start + part_size]).digest()
        for start in range(0, max(len(body), 1), part_size)
    ]
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


def part_size_for(body: bytes, etag: str) -> int | None:
    """The part size that gives `body` this multipart ETag, among the usual ones (None: none)."""
    parts = int(etag.rsplit("-", 1)[1])
    if parts == 1:
        return max(len(body), 1)
    candidates = [*PART_SIZES, -(-len(body) // parts)]
    for size in candidates:
        if -(-len(body) // size) == parts and multipart_etag(body, size) == etag:
            return size
    return None


def _put(s3, bucket: str, obj: dict, body: bytes) -> bool:
    """Upload one saved object; False when its ETag could not be kept."""
    target = {"Bucket": bucket, "Key": obj["key"]}
    if "-" not in obj["etag"]:
        s3.put_object(**target, Body=body, **obj["extra"])
        return True
    size = part_size_for(body, obj["etag"])
    if size is None:
        s3.put_object(**target, Body=body, **obj["extra"])
        return False
    upload = s3.create_multipart_upload(**target, **obj["extra"])["UploadId"]
    parts = [
        {
            "PartNumber": number,
            "ETag": s3.upload_part(
                **target, UploadId=upload, PartNumber=number, Body=body[start : start + size]
            )["ETag"],
        }
        for number, start in enumerate(range(0, max(len(body), 1), size), start=1)
    ]
    s3.complete_multipart_upload(**target, UploadId=upload, MultipartUpload={"Parts": parts})
    return True


def _write_items(dynamodb, table: str, items: list[dict]) -> None:
    for start in range(0, len(items), 25):
        requests = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while requests:
            requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems")


def _load_tables(dynamodb, archive: zipfile.ZipFile, tables: list[dict]) -> int:
    """Create each saved table and write its items back; how many items."""
    count = 0
    for table in tables:
        dynamodb.create_table(**table["spec"])
        items = json.loads(archive.read(table["entry"]), object_hook=_decode)
        _write_items(dynamodb, table["spec"]["TableName"], items)
        count += len(items)
    return count


def load(
    endpoints: Endpoints,
    region: str,
    path: Path,
    say: Callable[[str], None] = print,
    prefixes: Sequence[str] | None = None,
    objects: bool = True,
    tables: bool = True,
) -> Tally:
    """What `save` wrote to `path`, into the stack's (fresh) servers; with `prefixes`, only the
    objects under them and no tables (what a reader of those prefixes needs); without
    `objects` or `tables`, not those (their server kept them: only the other one restarted).

    Bodies are read a window at a time by this thread and uploaded by a few; the tables are
    written meanwhile by one more thread (to the other server)."""
    s3, dynamodb = clients(endpoints, region)
    tally = Tally(say, "loaded")
    try:
        archive = zipfile.ZipFile(path)
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not a saved lake ({exc}): move it away, or forget it with "
            "`taxi-platform stack reset`"
        ) from None
    if manifest.get("format") != FORMAT:
        raise ConfigError(
            f"{path} was saved in format {manifest.get('format')}, this version reads "
            f"{FORMAT}: move it away, or forget it with `taxi-platform stack reset`"
        )
    loaded = manifest["tables"] if prefixes is None and tables else []
    with archive, ThreadPoolExecutor(THREADS) as pool, ThreadPoolExecutor(1) as table_thread:
        items = table_thread.submit(_load_tables, dynamodb, archive, loaded)
        for bucket in manifest["buckets"] if objects else []:
            where = bucket["location"]
            s3.create_bucket(
                Bucket=bucket["name"],
                **({"CreateBucketConfiguration": {"LocationConstraint": where}} if where else {}),
            )
            wanted = (
                obj
                for obj in bucket["objects"]
                if prefixes is None or obj["key"].startswith(tuple(prefixes))
            )
            for window in _windows(wanted):
                bodies = [archive.read(obj["entry"]) for obj in window]
                kept = pool.map(_put, repeat(s3), repeat(bucket["name"]), window, bodies)
                tally.etags_changed += sum(not k for k in kept)
                for body in bodies:
                    tally.add(len(body))
        tally.items = items.result()
        tally.tables = len(loaded)
    return tally
