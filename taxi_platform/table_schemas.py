"""Column schemas of the platform's PostgreSQL tables, read from the DDL that creates them.

Why from the DDL: `infra/postgres/<database>.sql` is what creates every table, so the
`dagster/column_schema` the UI shows (Columns tab, column lineage, search) cannot drift from
the tables people query. A test compares it with the live tables' catalog. Only the plain
shape these files use is understood: `CREATE TABLE IF NOT EXISTS name (` one column per line,
table constraints (`PRIMARY KEY (…)`, `CHECK …`) on lines of their own, `);` closing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

import dagster as dg

from taxi_platform.settings import INFRA_DIR

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", re.S)
_COLUMN = re.compile(r'^\s*("?)(\w+)\1\s+(.+?)\s*,?\s*$')
_TYPE_END = re.compile(r"\s+(?:NOT NULL|NULL|PRIMARY KEY|CHECK|DEFAULT|REFERENCES|UNIQUE)\b")
_TABLE_CONSTRAINT = re.compile(r"\s*(?:PRIMARY KEY|CHECK|UNIQUE|FOREIGN KEY|CONSTRAINT)\b", re.I)


def parse_tables(ddl: str) -> dict[str, list[dg.TableColumn]]:
    """Table → its columns (name, SQL type, nullability, primary key) in DDL order."""
    tables: dict[str, list[dg.TableColumn]] = {}
    for name, body in _TABLE.findall(ddl):
        columns = []
        key_columns = _primary_key(body)
        for line in body.splitlines():
            line = line.split("--", 1)[0].rstrip()
            if not line.strip() or _TABLE_CONSTRAINT.match(line):
                continue
            match = _COLUMN.match(line)
            if not match:
                raise ValueError(f"CREATE TABLE {name}: cannot read the column line {line!r}")
            column, rest = match.group(2), match.group(3)
            kind = _TYPE_END.split(rest, maxsplit=1)[0].strip()
            primary = "PRIMARY KEY" in rest.upper() or column in key_columns
            alone = primary and len(key_columns) <= 1  # a one-column key: its values are unique
            columns.append(
                dg.TableColumn(
                    column,
                    kind,
                    constraints=dg.TableColumnConstraints(
                        nullable=not (primary or "NOT NULL" in rest.upper()),
                        unique=alone,
                    ),
                )
            )
        tables[name] = columns
    return tables


def _primary_key(body: str) -> list[str]:
    match = re.search(r"^\s*PRIMARY KEY \(([^)]*)\)", body, re.M)
    return [c.strip().strip('"') for c in match.group(1).split(",")] if match else []


@cache
def _database_tables(database: str) -> dict[str, list[dg.TableColumn]]:
    return parse_tables((INFRA_DIR / "postgres" / f"{database}.sql").read_text())


def table_metadata(
    database: str, table: str, descriptions: Mapping[str, str] | None = None
) -> dict[str, object]:
    """`dagster/table_name` and `dagster/column_schema` of `database.public.table`, with
    column descriptions where the asset documents them."""
    descriptions = descriptions or {}
    columns = [
        dg.TableColumn(
            c.name, c.type, description=descriptions.get(c.name), constraints=c.constraints
        )
        for c in _database_tables(database)[table]
    ]
    return {
        "dagster/table_name": f"{database}.public.{table}",
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }
