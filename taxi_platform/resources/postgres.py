"""PostgreSQL resource: one instance per database, psycopg 3, COPY for loads.

Why one instance per database: each database has its own writer role
(`infra/postgres/roles.sql`), so a resource holds exactly one libpq URI and can never write
to another team's database. Loads use COPY (not row-by-row INSERT) and partition writes are
delete + COPY in one transaction, so a re-run or backfill replaces its rows and never
duplicates them. SQL is composed with `psycopg.sql` (names as `sql.Identifier`, values as
parameters), never formatted: a table or column name can never change what a statement does.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import dagster as dg
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.rows import dict_row

from taxi_platform.resources.adbc_postgres import BinarySession, binary_transaction
from taxi_platform.resources.arrow_copy import binary_schema
from taxi_platform.settings import ConfigError, require

_PASSWORD_IN_URI = re.compile(r"(://[^:/@]+:)[^@]*@")
# (URI, DDL file) → the time zone applied with it by this process (see PostgresResource).
_SCHEMAS_APPLIED: dict[tuple[str, str], str | None] = {}


def redact(text: str) -> str:
    """Hide the password of any libpq URI inside `text` (errors must not carry secrets)."""
    return _PASSWORD_IN_URI.sub(r"\1***@", text)


def table_identifier(name: str) -> sql.Composable:
    """`schema.table` or `table` as a quoted identifier; names are never formatted into SQL."""
    return sql.Identifier(*name.split(".", 1))


def column_list(columns: Sequence[str]) -> sql.Composable:
    """`"a", "b", …` for a SELECT or COPY list: each name quoted, never formatted."""
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


@dataclass(frozen=True)
class Range:
    """The rows whose `column` lies in [start, end): a window of time partitions.

    Why a range and not a list of partitions: a single-run backfill writes many partitions
    at once, and one half-open range deletes exactly their rows in one statement.
    """

    column: str
    start: Any
    end: Any


# Which rows a replacement deletes: a Range, or a mapping of columns to values (one
# partition: `{"stat_date": date(2026, 11, 21)}`); the empty mapping means the whole table.
Scope = Range | Mapping[str, Any]
Data = pa.Table | pd.DataFrame


class Replaced(NamedTuple):
    """What one replacement did: rows deleted (the old scope) and rows COPYed in."""

    deleted: int
    inserted: int


def arrow_rows(table: pa.Table) -> Iterator[tuple]:
    """Rows of an Arrow table as tuples of Python values (lists stay lists → `int[]`)."""
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return zip(*columns, strict=True)


# Arrow's CSV quotes every string and writes NULL as an unquoted empty field, which is how
# PostgreSQL's CSV tells NULL from '' (timestamps carry their offset, floats round-trip).
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
CSV_BATCH_ROWS = 65_536


def _csv_writable(kind: pa.DataType) -> bool:
    return not (
        pa.types.is_nested(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_dictionary(kind)
        or pa.types.is_duration(kind)
    )


def frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """pandas → Arrow; NaN/NaT become NULL rather than the string 'NaN'."""
    return pa.Table.from_pandas(frame, preserve_index=False)


class PostgresResource(dg.ConfigurableResource):
    """One PostgreSQL database, reached through a libpq URI with its writer (or reader) role.

    `url_variable` names the environment variable the URI comes from, so a missing or
    wrong setting is reported by that name, with the password redacted.
    `schema_sql` is this database's DDL file (idempotent `CREATE … IF NOT EXISTS`), applied
    once per process before first use so a fresh database works without a manual step (once
    per process, not per resource instance: Dagster builds a new instance for every run and
    step, and each would otherwise repeat the DDL on its first connection).
    `time_zone`, when set, becomes the database's default `TimeZone` with the schema
    (`ALTER DATABASE … SET`, which its owner, the writer role, may do): sessions that choose
    none, such as Grafana's as bi_reader, then truncate and extract dates and hours of
    `timestamptz` columns in the business time zone, so dashboard SQL names no zone, and a
    change of `TAXI_TIMEZONE` reaches them with the next run. Stored instants are unchanged.
    """

    url: str | None = None
    url_variable: str = "TAXI_POSTGRES_URL"
    schema_sql: str | None = None
    connect_timeout: int = 10
    application_name: str = "taxi_platform"
    time_zone: str | None = None

    def _connect_raw(self) -> psycopg.Connection:
        url = require(self.url, self.url_variable)
        try:
            return psycopg.connect(
                url,
                connect_timeout=self.connect_timeout,
                application_name=self.application_name,
                autocommit=False,
            )
        except psycopg.OperationalError as exc:
            raise self._unreachable(url, str(exc)) from None

    def _unreachable(self, url: str, error: str) -> ConfigError:
        reason = redact(error.strip().splitlines()[0] if error.strip() else "no reason given")
        return ConfigError(
            f"cannot connect to PostgreSQL from {self.url_variable} ({redact(url)}): {reason}"
            " — check the host, port, role and password in that variable"
        )

    @contextlib.contextmanager
    def _binary_transaction(self) -> Iterator[BinarySession]:
        """An ADBC connection (for binary COPY) inside one transaction: commit on success,
        roll back on error. Server errors are raised as psycopg's class for their SQLSTATE,
        as on every other path (`psycopg.errors.UniqueViolation`, …)."""
        import adbc_driver_manager  # only runs that load tables need it

        url = require(self.url, self.url_variable)
        conninfo = psycopg.conninfo.make_conninfo(
            url, connect_timeout=self.connect_timeout, application_name=self.application_name
        )
        connected = False
        try:
            with binary_transaction(conninfo) as session:
                connected = True
                yield session
        except adbc_driver_manager.Error as exc:
            if not connected:
                raise self._unreachable(url, str(exc).removeprefix("IO: ")) from None
            message = str(exc).strip()
            raise psycopg.errors.lookup(exc.sqlstate or "XX000")(message) from exc

    def _schema_key(self) -> tuple[str, str] | None:
        if not self.schema_sql:
            return None
        return require(self.url, self.url_variable), self.schema_sql

    def _schema_pending(self) -> bool:
        key = self._schema_key()
        if key is None:
            return False
        return key not in _SCHEMAS_APPLIED or _SCHEMAS_APPLIED[key] != self.time_zone

    def _apply_schema(self, conn: psycopg.Connection) -> None:
        """The DDL file, and the time zone, on this process's first connection (again when
        this process's time zone for the database changes)."""
        conn.execute(Path(self.schema_sql).read_text())
        # Only when it differs: runs start in parallel, and concurrent ALTERs of the
        # same setting can fail ("tuple concurrently updated").
        if self.time_zone and conn.info.parameter_status("TimeZone") != self.time_zone:
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET TimeZone TO {}").format(
                    sql.Identifier(conn.info.dbname), sql.Literal(self.time_zone)
                )
            )
        conn.commit()
        _SCHEMAS_APPLIED[self._schema_key()] = self.time_zone

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """A connection inside one transaction: commit on success, roll back on error."""
        conn = self._connect_raw()
        try:
            if self._schema_pending():
                self._apply_schema(conn)
            with conn.transaction():
                yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def advisory_lock(self, name: str, shared: bool = False) -> Iterator[None]:
        """Hold the session-level advisory lock `name` while the block runs.

        Why: jobs in different processes that must not interleave work *outside* PostgreSQL
        (e.g. scanning and resetting the same DynamoDB counters) serialise on the database
        they all reach. `shared` holders run side by side, an exclusive holder runs alone.
        The lock lives on its own connection and dies with it, so a crashed run never
        leaves it behind.
        """
        conn = self._connect_raw()
        try:
            conn.autocommit = True
            function = "pg_advisory_lock_shared" if shared else "pg_advisory_lock"
            conn.execute(sql.SQL("SELECT {}(hashtext(%s))").format(sql.SQL(function)), [name])
            yield
        finally:
            conn.close()

    def execute(self, query: str | sql.Composable, params: Sequence | Mapping | None = None) -> int:
        with self.transaction() as conn:
            return conn.execute(query, params).rowcount

    def fetch_all(
        self, query: str | sql.Composable, params: Sequence | Mapping | None = None
    ) -> list[dict[str, Any]]:
        with self.transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def fetch_frame(
        self, query: str | sql.Composable, params: Sequence | Mapping | None = None
    ) -> pd.DataFrame:
        return self.fetch_frames({"": (query, params)})[""]

    def fetch_frames(
        self, queries: Mapping[str, tuple[str | sql.Composable, Sequence | Mapping | None]]
    ) -> dict[str, pd.DataFrame]:
        """Each named (query, params)'s rows as a frame, all over one connection and
        transaction: checks that read several tables pay for one connection, not one each."""
        frames = {}
        with self.transaction() as conn, conn.cursor() as cur:
            for name, (query, params) in queries.items():
                cur.execute(query, params)
                names = [d.name for d in cur.description or []]
                frames[name] = pd.DataFrame(cur.fetchall(), columns=names)
        return frames

    @staticmethod
    def copy_rows(
        conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]
    ) -> int:
        """COPY rows into `table`; Python lists become PostgreSQL arrays (e.g. `int[]`)."""
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            table_identifier(table), column_list(columns)
        )
        count = 0
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    @classmethod
    def copy_arrow(cls, conn: psycopg.Connection, table: str, data: pa.Table) -> int:
        """COPY an Arrow table. Columns Arrow's CSV writer can write go as CSV written in C
        (about twice as fast as psycopg's row by row for a million rows: bench_copy.py);
        a table with a list column (`int[]`) goes row by row."""
        if not all(_csv_writable(field.type) for field in data.schema):
            return cls.copy_rows(conn, table, data.column_names, arrow_rows(data))
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            table_identifier(table), column_list(data.column_names)
        )
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for batch in data.to_batches(max_chunksize=CSV_BATCH_ROWS):
                sink = pa.BufferOutputStream()
                pa_csv.write_csv(batch, sink, _CSV_OPTIONS)
                copy.write(sink.getvalue())
        return data.num_rows

    @classmethod
    def copy_frame(cls, conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> int:
        return cls.copy_arrow(conn, table, frame_to_arrow(frame))

    def replace_tables(self, replacements: Mapping[str, tuple[Scope, Data]]) -> dict[str, Replaced]:
        """Replace the scoped rows of several tables in ONE transaction, each by its data.

        Why together: tables computed by one run describe the same thing (the marts of a day
        range, the live tables of a minute), so readers must see all old or all new rows,
        never one table refreshed beside another stale or empty. Any failure (a constraint
        violated by any table's data) rolls back every table. Tables are replaced in the
        order given. The rows go by binary COPY (`arrow_copy`) when every table's columns
        allow it, else by `copy_arrow`.
        """
        tables = {table: _arrow(data) for table, (_, data) in replacements.items()}
        if self._schema_pending():  # the binary path opens no psycopg connection of its own
            with self.transaction():
                pass
        with self._binary_transaction() as session:
            schemas = {
                t: binary_schema(d, binary_column_types(session, t)) for t, d in tables.items()
            }
            if all(schema is not None for schema in schemas.values()):
                replaced = {}
                for table, (scope, _) in replacements.items():
                    query, _ = _where(
                        sql.SQL("DELETE FROM {}").format(table_identifier(table)), scope, True
                    )
                    deleted = session.execute(query.as_string())
                    *schema_name, name = table.split(".", 1)  # as `table_identifier` reads it
                    session.ingest(
                        name,
                        schema_name[0] if schema_name else None,
                        tables[table].select(schemas[table].names).cast(schemas[table]),
                    )
                    replaced[table] = Replaced(deleted=deleted, inserted=tables[table].num_rows)
                return replaced
        with self.transaction() as conn:
            return {
                table: Replaced(
                    deleted=delete_rows(conn, table, scope),
                    inserted=self.copy_arrow(conn, table, tables[table]),
                )
                for table, (scope, _) in replacements.items()
            }

    def replace_partition(self, table: str, partition: Scope, data: Data) -> int:
        """Replace one table's rows of `partition` (a Range: of a window of partitions) by
        `data` in one transaction, so a re-run never duplicates rows and readers see the old
        rows or the new, never neither. Returns the rows written."""
        return self.replace_tables({table: (partition, data)})[table].inserted

    def replace_table(self, table: str, data: Data) -> int:
        return self.replace_partition(table, {}, data)

    def count_rows(self, table: str, scope: Scope | None = None) -> int:
        query, params = _where(
            sql.SQL("SELECT count(*) FROM {}").format(table_identifier(table)), scope or {}
        )
        with self.transaction() as conn:
            return conn.execute(query, params).fetchone()[0]


def _arrow(data: Data) -> pa.Table:
    return frame_to_arrow(data) if isinstance(data, pd.DataFrame) else data


def _where(
    query: sql.Composable, scope: Scope, literal: bool = False
) -> tuple[sql.Composable, list]:
    """`query` restricted to `scope`, and the parameters it then takes (none when `literal`:
    the values are then quoted into the statement by psycopg, for a connection that is not
    psycopg's)."""
    params = list(scope.values()) if isinstance(scope, Mapping) else [scope.start, scope.end]
    value = sql.Literal if literal else (lambda _: sql.Placeholder())
    values = [value(p) for p in params]
    if isinstance(scope, Range):
        column = sql.Identifier(scope.column)
        where = sql.SQL("{} >= {} AND {} < {}").format(column, values[0], column, values[1])
    elif not scope:
        return query, []
    else:
        where = sql.SQL(" AND ").join(
            sql.SQL("{} = {}").format(sql.Identifier(column), v)
            for column, v in zip(scope, values, strict=True)
        )
    return sql.SQL("{} WHERE {}").format(query, where), [] if literal else params


_COLUMN_TYPES = sql.SQL(
    "SELECT a.attname::text, t.typname::text FROM pg_attribute a"
    " JOIN pg_type t ON t.oid = a.atttypid"
    " WHERE a.attrelid = {}::regclass AND a.attnum > 0 AND NOT a.attisdropped"
)


def column_types(conn: psycopg.Connection, table: str) -> dict[str, str]:
    """Each column of `table` and its type's name (`int4`, `_int4` for `int[]`, …)."""
    query = _COLUMN_TYPES.format(sql.Placeholder())
    return dict(conn.execute(query, [table_identifier(table).as_string()]).fetchall())


def binary_column_types(session: BinarySession, table: str) -> dict[str, str]:
    """`column_types` on the load's own ADBC connection (no second connection per load)."""
    query = _COLUMN_TYPES.format(sql.Literal(table_identifier(table).as_string()))
    found = session.query(query.as_string()).to_pydict()
    return dict(zip(found["attname"], found["typname"], strict=True))


def delete_rows(conn: psycopg.Connection, table: str, scope: Scope) -> int:
    """Delete the rows of `scope` in the caller's transaction, for writes that must commit
    with other statements (the reset ledger's status and its daily row)."""
    query, params = _where(sql.SQL("DELETE FROM {}").format(table_identifier(table)), scope)
    return conn.execute(query, params).rowcount
