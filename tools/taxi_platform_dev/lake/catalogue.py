"""The lake's SQL catalogue: DuckDB views over bronze `api_logs`, Silver `click_events` and the
TLC trip months, and the repository's query set.

Why the views are SQL files (`infra/lake/views/`) and not Python: they are the contract that
Athena's Glue tables in `infra/aws/taxi-platform.yaml` mirror (same table names, same columns,
the partition keys last), and a test holds the two together. Each file starts with a header:
    -- table: <name>             the view it creates
    -- source: <prefix>          where its objects live in the lake bucket
    -- path columns: <a, b>      (optional) columns parsed from the object key that Athena
                                 cannot project (a file per month is not a folder)
    -- decoded: <a, b>           (optional) columns shown decoded whose Athena column holds
                                 the stored (compressed) form, under the same name
`{lake}` in the SQL is `s3://<TAXI_LAKE_BUCKET>`. A view whose source holds no object yet is
left out (DuckDB binds a view when it is created, and a glob that matches nothing fails),
with a note saying which; it appears on the next start once its asset has run.

Queries (`infra/lake/queries/<name>.sql`) are written in the SQL that DuckDB and Athena (Trino)
share, with `?` parameters named, in order, in a `-- params:` header line.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from taxi_platform.resources.duckdb_s3 import connect_s3
from taxi_platform.settings import REPO_ROOT, SETTINGS, ConfigError
from taxi_platform_dev.local.stack import Stack, default_home

LAKE_SQL_DIR = REPO_ROOT / "infra" / "lake"
VIEWS_DIR = LAKE_SQL_DIR / "views"
QUERIES_DIR = LAKE_SQL_DIR / "queries"
_HEADER = re.compile(r"^--\s*(?P<key>[a-z ]+):\s*(?P<value>.*?)\s*$", re.M)


def _headers(text: str) -> dict[str, str]:
    return {m["key"]: m["value"] for m in _HEADER.finditer(text)}


def _names(listed: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in listed.split(",") if name.strip())


@dataclass(frozen=True)
class View:
    name: str
    source: str
    path_columns: tuple[str, ...]
    decoded: tuple[str, ...]
    sql: str

    def statement(self, bucket: str) -> str:
        return self.sql.replace("{lake}", f"s3://{bucket}")


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    params: tuple[str, ...]
    sql: str


def views() -> list[View]:
    found = []
    for path in sorted(VIEWS_DIR.glob("*.sql")):
        text = path.read_text()
        headers = _headers(text)
        found.append(
            View(
                headers["table"],
                headers["source"],
                _names(headers.get("path columns", "")),
                _names(headers.get("decoded", "")),
                text,
            )
        )
    return found


def queries() -> dict[str, Query]:
    found = {}
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        text = path.read_text()
        # "-- params: day (a UTC date: 2026-03-10), …": the names, in `?` order
        names = tuple(re.findall(r"(\w+)\s*(?:\([^)]*\))?", _headers(text).get("params", "")))
        description = text.splitlines()[0].removeprefix("--").strip()
        found[path.stem] = Query(path.stem, description, names, text)
    return found


def query(name: str) -> Query:
    known = queries()
    if name not in known:
        raise ConfigError(
            f"no query {name!r} in {QUERIES_DIR.relative_to(REPO_ROOT)}: "
            f"choose one of {', '.join(known)}"
        )
    return known[name]


@contextlib.contextmanager
def lake_environment(
    environ: Mapping[str, str] | None = None, say: Callable[[str], None] = print
) -> Iterator[tuple[dict[str, str], str]]:
    """(variables to reach the lake with, where they came from), for the `with` block.

    The environment when it names an S3 (an endpoint, or `TAXI_PLATFORM_ENV=aws`: the
    platform's own settings); else the running local stack's (`TAXI_STACK_HOME` or
    `.stack`), else the demo's kept stack (`.stack/demo`, `taxi-platform demo --keep`); else
    the lake a stopped one saved (the newer of the two; the objects the views read), served
    for the block by a moto of its own, so reading it neither starts the stack nor changes
    its save."""
    environ = dict(os.environ if environ is None else environ)
    if (
        environ.get("AWS_ENDPOINT_URL_S3")
        or environ.get("AWS_ENDPOINT_URL")
        or environ.get("TAXI_PLATFORM_ENV") == "aws"
    ):
        yield environ, "the environment"
        return
    stacks = [Stack(default_home(), say), Stack(default_home() / "demo", say)]
    for stack in stacks:
        if stack.is_up():
            yield {**environ, **stack.env()}, f"the stack in {stack.home}"
            return
    saved = [stack for stack in stacks if stack.moto_state.exists()]
    if not saved:
        raise ConfigError(
            "no lake to read: AWS_ENDPOINT_URL is not set, no local stack is running and none "
            "saved a lake: start one (`taxi-platform stack up`, or run `taxi-platform demo`), "
            "or export the aws settings (`taxi-platform aws env`)"
        )
    stack = max(saved, key=lambda s: s.moto_state.stat().st_mtime)
    with stack.serving_saved([view.source for view in views()]) as served:
        when = datetime.fromtimestamp(stack.moto_state.stat().st_mtime, UTC)
        yield (
            {**environ, **served},
            f"the lake the stopped stack in {stack.home} saved at {when:%Y-%m-%d %H:%M} UTC, "
            "read through a temporary moto: changes are not kept",
        )


def lake_bucket(environ: Mapping[str, str]) -> str:
    return environ.get("TAXI_LAKE_BUCKET") or str(SETTINGS["TAXI_LAKE_BUCKET"].default)


@dataclass
class Catalogue:
    connection: duckdb.DuckDBPyConnection
    bucket: str
    tables: list[str]
    missing: list[View]

    def notes(self) -> list[str]:
        return [
            f"{v.name}: nothing under s3://{self.bucket}/{v.source} yet, view left out"
            for v in self.missing
        ]


def open_catalogue(environ: Mapping[str, str], database: str = ":memory:") -> Catalogue:
    """A DuckDB connection to the lake of `environ` with every view whose source has data.

    Times are shown in UTC (DuckDB would use the machine's zone): the lake's partitions are
    UTC hours and days, and `hour(event_ts)` must mean the same as in Athena."""
    bucket = lake_bucket(environ)
    connection = connect_s3(database, environ)
    connection.execute("SET TimeZone = 'UTC'")
    tables, missing = [], []
    for view in views():
        try:
            connection.execute(view.statement(bucket))
        except duckdb.IOException as exc:
            if "No files found" not in str(exc):
                raise ConfigError(
                    f"cannot read s3://{bucket}/{view.source} for view {view.name}: "
                    f"{str(exc).splitlines()[0]} (check TAXI_LAKE_BUCKET and the AWS settings)"
                ) from None
            missing.append(view)
        else:
            tables.append(view.name)
    return Catalogue(connection, bucket, tables, missing)


def view_columns(connection: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a view, in order."""
    return [(row[0], row[1]) for row in connection.execute(f'DESCRIBE "{name}"').fetchall()]


def run_query(
    connection: duckdb.DuckDBPyConnection, name: str, params: list[str]
) -> tuple[list[str], list[tuple]]:
    """(columns, rows) of one query of the set, its `?` parameters given in header order."""
    chosen = query(name)
    if len(params) != len(chosen.params):
        raise ConfigError(
            f"query {name} takes {len(chosen.params)} parameter(s) "
            f"({', '.join(chosen.params) or 'none'}), got {len(params)}: pass each with -p"
        )
    cursor = connection.execute(chosen.sql, params)
    return [d[0] for d in cursor.description], cursor.fetchall()
