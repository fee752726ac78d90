"""Models defined once, as SQL files, for two engines: DuckDB on one machine, Spark on a cluster.

Why SQL files: the same definition must give the same tables on both engines, so there is
only one definition. The files are written in DuckDB's dialect (what the default engine runs
as written, and what a person can paste into `duckdb`); the Spark engine runs them after
sqlglot has transpiled them to Spark SQL (`to_spark`). Engine parity is tested, not assumed.

A model is a folder of files, one per relation, each a single SELECT named as what it builds:
- inputs: a view made of Parquet files, each read by the same per-file SELECT over the table
  `source_file` (with that file's own parameters, e.g. a TLC file's month), unioned in order;
- steps: relations built in order from `<step>.sql`, each reading the inputs and earlier steps;
- outputs: the steps handed back as Arrow tables.
Parameters are `${name}` in the files, rendered as SQL literals (numbers, dates, quoted text)
before any engine sees them. Pure: no I/O beyond reading the SQL files, no Dagster.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

SOURCE_TABLE = "source_file"  # what a per-file SELECT reads


def sql_literal(value: object) -> str:
    """A parameter as a DuckDB SQL literal (bool before int: bool is an int)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__} {value!r}")


def render(text: str, params: Mapping[str, object]) -> str:
    """`${name}` → the literal of params[name]; a missing parameter names itself."""
    try:
        return string.Template(text).substitute({k: sql_literal(v) for k, v in params.items()})
    except KeyError as missing:
        raise ValueError(f"SQL parameter {missing} is not given") from None


@cache
def _read(path: Path) -> str:
    return path.read_text()


@cache
def to_spark(sql: str) -> str:
    """DuckDB SQL → Spark SQL (sqlglot); imported here only, as only the Spark engine needs it."""
    import sqlglot

    [statement] = sqlglot.transpile(sql, read="duckdb", write="spark")
    return statement


@dataclass(frozen=True)
class FileInput:
    """A view over Parquet files: `<sql>.sql` per file (reading `source_file`), unioned.

    `files` holds (uri, that file's parameters): `s3://bucket/key` or a local path."""

    view: str
    sql: str
    files: tuple[tuple[str, Mapping[str, object]], ...]


@dataclass(frozen=True)
class SqlModel:
    name: str
    folder: Path
    inputs: tuple[FileInput, ...]
    steps: tuple[str, ...]
    outputs: tuple[str, ...]
    params: Mapping[str, object] = field(default_factory=dict)

    def statement(self, step: str, extra: Mapping[str, object] | None = None) -> str:
        """The rendered DuckDB SELECT of `step` (a relation of the model's folder)."""
        return render(_read(self.folder / f"{step}.sql"), {**self.params, **(extra or {})})

    def file_statements(self, source: FileInput) -> list[tuple[str, str]]:
        """(uri, rendered per-file SELECT over `source_file`) for each file of an input."""
        return [(uri, self.statement(source.sql, params)) for uri, params in source.files]

    @property
    def input_uris(self) -> list[str]:
        return [uri for source in self.inputs for uri, _ in source.files]
