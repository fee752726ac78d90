"""TLC Yellow Taxi trip files: their lake keys, their published schemas, and a file summary.

Why the schemas live in code: the deployed platform validates files with nothing beside it,
so the published column names and Arrow types (recorded in
`taxi_platform_tests/data/tlc_yellow_schema.json`, which a test compares with these) are spelled out
here. TLC changed the types once (2023-02) and added a column once (2025-01); every file is
one of those three shapes, and the consumers (`taxi_trips`, the zone models' SQL) accept all three.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TRIPS_PREFIX = "raw/nyc_taxi/"
_KEY = re.compile(r"^raw/nyc_taxi/yellow_tripdata_(\d{4}-(?:0[1-9]|1[0-2]))\.parquet$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

_MONEY = (
    "fare_amount",
    "extra",
    "mta_tax",
    "tip_amount",
    "tolls_amount",
    "improvement_surcharge",
    "total_amount",
    "congestion_surcharge",
)
# The published columns from 2023-02 to 2024-12, in file order.
_CURRENT = [
    ("VendorID", pa.int32()),
    ("tpep_pickup_datetime", pa.timestamp("us")),
    ("tpep_dropoff_datetime", pa.timestamp("us")),
    ("passenger_count", pa.int64()),
    ("trip_distance", pa.float64()),
    ("RatecodeID", pa.int64()),
    ("store_and_fwd_flag", pa.string()),
    ("PULocationID", pa.int32()),
    ("DOLocationID", pa.int32()),
    ("payment_type", pa.int64()),
    *((name, pa.float64()) for name in _MONEY),
    ("Airport_fee", pa.float64()),
]
# 2023-01 (and the 2022 files): wider integer types, counts as doubles, lower-case airport_fee.
_OLD_TYPES = {
    "VendorID": pa.int64(),
    "passenger_count": pa.float64(),
    "RatecodeID": pa.float64(),
    "PULocationID": pa.int64(),
    "DOLocationID": pa.int64(),
}
_OLD = [
    ("airport_fee" if name == "Airport_fee" else name, _OLD_TYPES.get(name, kind))
    for name, kind in _CURRENT
]

# Variant name = the first month published in that shape.
SCHEMAS: dict[str, pa.Schema] = {
    "2023-01": pa.schema(_OLD),
    "2023-02": pa.schema(_CURRENT),
    "2025-01": pa.schema([*_CURRENT, ("cbd_congestion_fee", pa.float64())]),
}


def check_month(month: str) -> str:
    """`YYYY-MM` or a ValueError saying so (months come from the CLI and from config)."""
    if not _MONTH.match(month):
        raise ValueError(f"month {month!r} is not YYYY-MM (e.g. 2026-10)")
    return month


def trip_key(month: str) -> str:
    """The lake key of one month's file."""
    return f"{TRIPS_PREFIX}yellow_tripdata_{check_month(month)}.parquet"


def month_of_key(key: str) -> str | None:
    """`YYYY-MM` of a trip file key, None for anything else under the prefix."""
    match = _KEY.match(key)
    return match.group(1) if match else None


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) as naive New York local times."""
    year, number = map(int, check_month(month).split("-"))
    start = datetime(year, number, 1)
    end = datetime(year + number // 12, number % 12 + 1, 1)
    return start, end


def days_in_month(month: str) -> int:
    year, number = map(int, check_month(month).split("-"))
    return calendar.monthrange(year, number)[1]


def schema_for_month(month: str) -> tuple[str, pa.Schema]:
    """The variant TLC published for `month` (2022 and earlier files use the 2023-01 shape)."""
    variant = max((v for v in SCHEMAS if v <= check_month(month)), default="2023-01")
    return variant, SCHEMAS[variant]


def _normalized(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    """Names and types only; pyarrow may read the flag column as large_string."""
    return [
        (field.name, pa.string() if field.type == pa.large_string() else field.type)
        for field in schema
    ]


def schema_variant(schema: pa.Schema) -> str | None:
    """Which published variant `schema` is (names, order and types), None if none."""
    fields = _normalized(schema)
    return next((name for name, known in SCHEMAS.items() if _normalized(known) == fields), None)


def schema_differences(schema: pa.Schema, month: str) -> list[str]:
    """Readable differences from the variant expected for `month` (for check metadata)."""
    expected = dict(_normalized(schema_for_month(month)[1]))
    actual = dict(_normalized(schema))
    missing = [f"missing {name} {kind}" for name, kind in expected.items() if name not in actual]
    extra = [f"unexpected {name} {kind}" for name, kind in actual.items() if name not in expected]
    retyped = [
        f"{name} is {actual[name]}, expected {kind}"
        for name, kind in expected.items()
        if name in actual and actual[name] != kind
    ]
    return missing + extra + retyped


@dataclass(frozen=True)
class TripFileSummary:
    """What `taxi_trips` records about one file: its shape and how many pickups fit its month.

    `unreadable` says why the bytes are not a Parquet file at all (truncated upload, another
    format); such a file has no variant, and consumers leave its month out."""

    rows: int
    variant: str | None
    differences: list[str]
    pickups_outside_month: int
    first_pickup: str | None
    last_pickup: str | None
    unreadable: str | None = None

    @property
    def outside_share(self) -> float:
        return self.pickups_outside_month / self.rows if self.rows else 0.0

    @property
    def accepted(self) -> bool:
        """The file is one of the published shapes: the zone models can read it."""
        return self.variant is not None and self.unreadable is None


def summarize_trip_file(data: bytes, month: str) -> TripFileSummary:
    """Schema variant, rows and the pickups outside `month` of one Parquet file's bytes; a
    file that does not read as Parquet is summarized as unreadable, with the reason."""
    try:
        return _summarize(data, month)
    except (pa.ArrowException, OSError) as exc:
        reason = f"not a readable Parquet file ({len(data)} bytes): {str(exc).splitlines()[0]}"
        return TripFileSummary(0, None, [reason], 0, None, None, unreadable=reason)


def _summarize(data: bytes, month: str) -> TripFileSummary:
    parquet = pq.ParquetFile(pa.BufferReader(data))
    schema = parquet.schema_arrow
    variant = schema_variant(schema)
    differences = [] if variant else schema_differences(schema, month)
    rows = parquet.metadata.num_rows
    if "tpep_pickup_datetime" not in schema.names:
        return TripFileSummary(rows, variant, differences, rows, None, None)
    # Reading the column also reads every data page, so a file cut after its footer was
    # copied is caught here rather than in the zone models.
    pickup = parquet.read(columns=["tpep_pickup_datetime"]).column(0).cast(pa.timestamp("us"))
    start, end = month_bounds(month)
    inside = pc.and_(pc.greater_equal(pickup, start), pc.less(pickup, end))
    # min_count=0: the sum of no rows is 0, not null (a 0-row month is a valid month).
    inside_rows = pc.sum(pc.cast(pc.fill_null(inside, False), pa.int64()), min_count=0).as_py()
    outside = rows - inside_rows
    bounds = pc.min_max(pickup).as_py()
    first, last = (str(bounds[k]) if bounds[k] else None for k in ("min", "max"))
    return TripFileSummary(rows, variant, differences, outside, first, last)


def changed_months(objects: list[dict], seen: dict[str, str]) -> list[tuple[str, str]]:
    """(month, ETag) of trip files that are new or whose ETag differs from `seen` (a sensor
    cursor: month → ETag), in month order; other keys under the prefix are ignored."""
    files = ((month_of_key(o["Key"]), o["ETag"].strip('"')) for o in objects)
    return sorted((m, etag) for m, etag in files if m and seen.get(m) != etag)


def select_window(keys: list[str], wanted: list[str], bucket: str) -> list[str]:
    """The months a model run covers: `wanted`, or every month with a file among `keys`;
    a ValueError names the missing files (s3 URIs) and what to do."""
    present = sorted({m for m in map(month_of_key, keys) if m})
    if not wanted:
        if not present:
            raise ValueError(
                f"no trip files under s3://{bucket}/{TRIPS_PREFIX}: upload TLC files or generate "
                "one (taxi-platform simulate trips --month YYYY-MM)"
            )
        return present
    missing = sorted(set(map(check_month, wanted)) - set(present))
    if missing:
        files = ", ".join(f"s3://{bucket}/{trip_key(m)}" for m in missing)
        raise ValueError(f"{files} missing: months with files are {present or 'none'}")
    return sorted(set(wanted))
