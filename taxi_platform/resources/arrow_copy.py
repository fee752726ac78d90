"""Arrow tables into PostgreSQL by binary COPY (ADBC), at the speed of the server itself.

Why: the CSV path (`PostgresResource.copy_arrow`) formats every value as text for the server
to parse back, and sends tables with a list column row by row; ADBC's PostgreSQL driver
writes PostgreSQL's binary COPY format from Arrow in C, lists included, which loads as fast
as the server's own `INSERT … SELECT` of rows it already holds (bench/bench_copy.py).

Binary COPY needs each column in exactly the target column's type (an `int8` value in an
`int4` column is refused), so each table is cast first to the types the catalogue gives;
a cast that would lose data fails (pyarrow's safe casts). Columns whose type has no Arrow
equivalent here (`jsonb`, a float for a `numeric`) send their table down the CSV path.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

# PostgreSQL type (pg_type.typname) -> the Arrow type ADBC writes in that binary format.
_ARROW_FOR = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "date": pa.date32(),
}
_ARRAY_OF = {f"_{item}": item for item in ("int2", "int4", "int8", "float8", "text")}


def _target_type(pg_type: str, given: pa.DataType) -> pa.DataType | None:
    """The Arrow type to send `given` as into a column of `pg_type`; None: no binary path."""
    if pg_type == "timestamptz" and pa.types.is_timestamp(given) and given.tz is not None:
        return pa.timestamp("us", tz="UTC")
    if pg_type == "timestamp" and pa.types.is_timestamp(given) and given.tz is None:
        return pa.timestamp("us")
    if pg_type == "numeric" and pa.types.is_decimal(given):
        return given
    if pg_type in _ARRAY_OF and (pa.types.is_list(given) or pa.types.is_large_list(given)):
        item = _target_type(_ARRAY_OF[pg_type], given.value_type)
        return pa.list_(item) if item is not None else None
    target = _ARROW_FOR.get(pg_type)
    if target is None or pa.types.is_nested(given) or pa.types.is_dictionary(given):
        return None
    text = pa.types.is_string(given) or pa.types.is_large_string(given)
    return target if text == pa.types.is_string(target) else None


def binary_schema(data: pa.Table, column_types: Mapping[str, str]) -> pa.Schema | None:
    """The schema `data` must be cast to for a binary COPY into columns of `column_types`
    (name -> typname), or None when some column cannot go that way."""
    fields = []
    for field in data.schema:
        pg_type = column_types.get(field.name)
        target = _target_type(pg_type, field.type) if pg_type else None
        if target is None:
            return None
        fields.append(pa.field(field.name, target))
    return pa.schema(fields)
