"""Silver `click_events`: decoded log records of one UTC hour → a typed, deduplicated Arrow table.

Pure (no I/O): the asset reads and writes the lake, this module only types. Why per hour: an
hour is what one bronze object holds, it bounds memory at a 100× rate (a day is then ~5 M
rows), and exact duplicates always share their hour (same `inDate`, same UTC hour), so
deduplicating each hour is deduplicating the day. Hours concatenated in order stay sorted.

Records are the codec's full (decompressed) form: `user_id` 64 hex, `method` GET/POST,
`inDate` ISO-8601 with the user's offset (see `taxi_platform/defs/logs/codec.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from taxi_platform.defs.clicks.columns import Column

_FIELDS: tuple[tuple[pa.Field, str], ...] = (
    (
        pa.field("event_ts", pa.timestamp("us", tz="UTC"), nullable=False),
        "When the event happened: `inDate` converted to UTC (microseconds).",
    ),
    (
        pa.field("event_date", pa.date32(), nullable=False),
        "UTC calendar date of `event_ts`: the partition (`event_date=YYYY-MM-DD`).",
    ),
    (
        pa.field("in_date", pa.string(), nullable=False),
        "`inDate` exactly as logged, in the user's own offset (ISO-8601, microseconds).",
    ),
    (
        pa.field("utc_offset_minutes", pa.int16(), nullable=False),
        "The user's UTC offset in `in_date`, in minutes (+540 = +09:00).",
    ),
    (
        pa.field("event_kind", pa.string(), nullable=False),
        "`search` (the record has a `query`) or `view` (it has a `document_id`).",
    ),
    (pa.field("session_id", pa.string(), nullable=False), "Session of the event."),
    (pa.field("user_id", pa.string(), nullable=False), "User: 64 lowercase hex characters."),
    (pa.field("method", pa.string(), nullable=False), "HTTP method: `GET` or `POST`."),
    (pa.field("url", pa.string(), nullable=False), "Requested URL path and query."),
    (pa.field("query", pa.string()), "Search text; NULL for views."),
    (
        pa.field("clinical_area", pa.string()),
        "Searches: the area searched in. Views: the document's area, NULL if it has none.",
    ),
    (pa.field("document_id", pa.int64()), "Viewed document; NULL for searches."),
    (pa.field("title", pa.string()), "Viewed document's title as logged; NULL for searches."),
    (
        pa.field("extra_fields", pa.string()),
        "Keys outside the record contract, as a JSON object (sorted keys); NULL when none.",
    ),
)
SILVER_SCHEMA = pa.schema([f for f, _ in _FIELDS])
SILVER_COLUMNS = [Column(f.name, str(f.type), text) for f, text in _FIELDS]
# Record keys that become typed columns (besides `inDate`); others go to `extra_fields`.
TEXT_KEYS = ("session_id", "user_id", "method", "url", "query", "clinical_area", "title")
RECORD_KEYS = frozenset({"inDate", "document_id", *TEXT_KEYS})


def hour_table(records: Sequence[Mapping], hour: datetime) -> pa.Table:
    """Typed rows of one UTC hour's full records, in input order (duplicates kept).

    Raises ValueError when a record's `inDate` lies outside `hour`: the object is misfiled.
    """
    values = {key: pa.array([r.get(key) for r in records], pa.string()) for key in TEXT_KEYS}
    values["document_id"] = pa.array([r.get("document_id") for r in records], pa.int64())
    in_date = pa.array([r["inDate"] for r in records], pa.string())
    event_ts = in_date.cast(pa.timestamp("us", tz="UTC"))
    _require_hour(event_ts, hour)
    table = pa.table(
        {
            "event_ts": event_ts,
            "event_date": event_ts.cast(pa.date32()),
            "in_date": in_date,
            "utc_offset_minutes": _offset_minutes(in_date),
            "event_kind": pc.if_else(pc.is_null(values["query"]), "view", "search"),
            **values,
            "extra_fields": _extra_fields(records, values.values()),
        }
    )
    return table.select(SILVER_SCHEMA.names).cast(SILVER_SCHEMA)


def drop_exact_duplicates(table: pa.Table) -> tuple[pa.Table, int]:
    """(rows sorted by every column, `event_ts` first, with exact duplicates removed; how many
    were removed). Sorting on every column is a total order, so the output is deterministic."""
    ordered = table.sort_by([(name, "ascending") for name in table.column_names])
    if ordered.num_rows < 2:
        return ordered, 0
    same_as_previous = pa.array([True] * (ordered.num_rows - 1))
    for column in ordered.columns:
        current, previous = column.slice(1), column.slice(0, ordered.num_rows - 1)
        equal = pc.fill_null(
            pc.equal(current, previous), pc.and_(pc.is_null(current), pc.is_null(previous))
        )
        same_as_previous = pc.and_(same_as_previous, equal)
    keep = pa.concat_arrays([pa.array([True]), pc.invert(same_as_previous).combine_chunks()])
    unique = ordered.filter(keep)
    return unique, table.num_rows - unique.num_rows


def _require_hour(event_ts: pa.Array, hour: datetime) -> None:
    start, end = (pa.scalar(t, event_ts.type) for t in (hour, hour + timedelta(hours=1)))
    outside = pc.sum(pc.or_(pc.less(event_ts, start), pc.greater_equal(event_ts, end))).as_py()
    if outside:
        raise ValueError(
            f"{outside} records have an inDate outside the hour {hour:%Y-%m-%d %H}:00Z"
        )


def _offset_minutes(in_date: pa.Array) -> pa.Array:
    """`±HH:MM` (characters 26–31 of the canonical inDate) as signed minutes."""
    part = pc.utf8_slice_codeunits
    minutes = pc.add(
        pc.multiply(pc.cast(part(in_date, 27, 29), pa.int16()), 60),
        pc.cast(part(in_date, 30, 32), pa.int16()),
    )
    negative = pc.equal(part(in_date, 26, 27), "-")
    return pc.if_else(negative, pc.negate(minutes), minutes)


def _extra_fields(records: Sequence[Mapping], typed: Sequence[pa.Array]) -> pa.Array:
    """JSON of the keys no column holds; cheap when there are none (the usual case): every
    record key is then one non-NULL value of a typed column (+1 for `inDate`)."""
    typed_values = len(records) + sum(len(a) - a.null_count for a in typed)
    if sum(map(len, records)) == typed_values:
        return pa.nulls(len(records), pa.string())
    extras = ({k: v for k, v in r.items() if k not in RECORD_KEYS} for r in records)
    return pa.array([json.dumps(e, sort_keys=True) if e else None for e in extras], pa.string())
