"""Run BI queries as the read-only `bi_reader`, on any of the three databases.

Why its own path rather than the writers' resources: a dashboard's SQL must never write.
Every query runs in a transaction declared READ ONLY before the query runs (on top of the
role's own `default_transaction_read_only`), and the connection is `bi_reader`'s only:
a URI naming another role is refused. Errors name `TAXI_BI_READER_URL`, password redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.settings import ConfigError

READER_ROLE = "bi_reader"


@dataclass(frozen=True)
class Result:
    """A query's column names and rows (tuples of Python values)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


class BiReader:
    """`bi_reader` at the address of `bi_reader_url`, switching databases per query."""

    def __init__(self, bi_reader_url: str) -> None:
        parts = urlsplit(bi_reader_url)
        if parts.username != READER_ROLE:
            raise ConfigError(
                f"TAXI_BI_READER_URL names role {parts.username!r}: BI queries run only as "
                f"the read-only {READER_ROLE}"
            )
        self._parts = parts

    def database_url(self, database: str) -> str:
        return urlunsplit(self._parts._replace(path=f"/{database}"))

    def run(self, database: str, statement: str) -> Result:
        """Run one statement in a READ ONLY transaction (rolled back if it fails)."""
        db = PostgresResource(
            url=self.database_url(database),
            url_variable="TAXI_BI_READER_URL",
            application_name="taxi_platform_bi",
        )
        with db.transaction() as conn:
            conn.execute("SET TRANSACTION READ ONLY")
            cursor = conn.execute(statement)
            return Result([d.name for d in cursor.description or []], cursor.fetchall())
