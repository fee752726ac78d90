"""`zone_hourly_activity_log` I/O: write one snapshot, load the snapshots a window of hours needs.

A snapshot is one complete scan of the per-zone counters, keyed by when the scan started
(`captured_at`), as `stats.hourly_zone_diffs` requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pyarrow as pa
from psycopg import sql

from taxi_platform.defs.counters.stats import Snapshot
from taxi_platform.resources.postgres import PostgresResource, Range, table_identifier

SNAPSHOT_TABLE = "zone_hourly_activity_log"
SNAPSHOT_SCHEMA = pa.schema(
    [
        ("captured_at", pa.timestamp("us", tz="UTC")),
        ("zone_id", pa.string()),
        ("dispatch_count", pa.int64()),
        ("pickup_count", pa.int64()),
    ]
)
# How far back a zone's baseline is looked for. A zone absent from every scan that long
# (no item, or a bad one) is taken as new: its baseline is 0 if any scan is in range.
LOOKBACK = timedelta(days=2)


def write_snapshot(
    db: PostgresResource, captured_at: datetime, rows: list[tuple[str, int, int]]
) -> int:
    """Replace the snapshot captured at `captured_at` (delete + COPY in one transaction)."""
    return db.replace_partition(
        SNAPSHOT_TABLE, {"captured_at": captured_at}, _snapshot_table({captured_at: rows})
    )


def write_snapshots(
    db: PostgresResource, snapshots: Mapping[datetime, list[tuple[str, int, int]]]
) -> int:
    """Replace every snapshot captured from the first to the last of `snapshots` by them, in
    one transaction: a history of many snapshots (the demo's hours) is one load, not one per
    snapshot."""
    first, last = min(snapshots), max(snapshots)
    window = Range("captured_at", first, last + timedelta(microseconds=1))
    return db.replace_partition(SNAPSHOT_TABLE, window, _snapshot_table(snapshots))


def _snapshot_table(snapshots: Mapping[datetime, list[tuple[str, int, int]]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"captured_at": at, "zone_id": z, "dispatch_count": d, "pickup_count": p}
            for at, rows in snapshots.items()
            for z, d, p in rows
        ],
        schema=SNAPSHOT_SCHEMA,
    )


def load_snapshots(db: PostgresResource, after: datetime, until: datetime) -> list[Snapshot]:
    """The snapshots captured in (after, until] and, as baselines, each zone's last snapshot
    at or before `after` (within `LOOKBACK`): all that the hours in between need."""
    rows = db.fetch_all(
        sql.SQL(
            """
        (SELECT DISTINCT ON (zone_id) captured_at, zone_id, dispatch_count, pickup_count
           FROM {snapshots}
          WHERE captured_at <= %(after)s AND captured_at > %(after)s - %(lookback)s
          ORDER BY zone_id, captured_at DESC)
        UNION ALL
        (SELECT captured_at, zone_id, dispatch_count, pickup_count
           FROM {snapshots}
          WHERE captured_at > %(after)s AND captured_at <= %(until)s)
        """
        ).format(snapshots=table_identifier(SNAPSHOT_TABLE)),
        {"after": after, "until": until, "lookback": LOOKBACK},
    )
    return [Snapshot(**r) for r in rows]


def latest_captures(db: PostgresResource, count: int = 2) -> list[tuple[datetime, set[str]]]:
    """The `count` latest snapshots, oldest first, as (captured_at, zones)."""
    rows = db.fetch_all(
        sql.SQL(
            """
        SELECT captured_at, array_agg(zone_id) AS zones FROM {snapshots}
         WHERE captured_at IN (SELECT DISTINCT captured_at FROM {snapshots}
                                ORDER BY captured_at DESC LIMIT %s)
         GROUP BY captured_at ORDER BY captured_at
        """
        ).format(snapshots=table_identifier(SNAPSHOT_TABLE)),
        [count],
    )
    return [(r["captured_at"], set(r["zones"])) for r in rows]
