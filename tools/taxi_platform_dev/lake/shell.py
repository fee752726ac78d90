"""`taxi-platform sql`: the lake's catalogue in DuckDB, one statement (`-c`), one query of the
set (`-q NAME -p VALUE …`) or a small interactive shell.

Why a shell of its own rather than DuckDB's: the `duckdb` Python package has no CLI binary,
and the catalogue must be opened with the platform's S3 settings first (httpfs from its wheel,
boto3's credentials and endpoint), which only this process knows how to do.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import duckdb

from taxi_platform_dev.lake.catalogue import (
    Catalogue,
    lake_environment,
    open_catalogue,
    queries,
    run_query,
)

PROMPT, CONTINUED = "lake> ", "  ..> "


def render(columns: Sequence[str], rows: Sequence[tuple[Any, ...]], out: TextIO) -> None:
    """An aligned text table (numbers right-aligned), then the row count."""
    cells = [["NULL" if v is None else str(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) for r in rows if r[i] is not None)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(line(columns), file=out)
    print("-+-".join("-" * w for w in widths), file=out)
    for row in cells:
        print(line(row), file=out)
    print(f"({len(rows)} row{'' if len(rows) == 1 else 's'})", file=out)


def _print_result(cursor: duckdb.DuckDBPyConnection, as_csv: bool, out: TextIO) -> None:
    columns = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall() if columns else []
    if not rows and columns in ([], ["Success"], ["Count"]):  # SET, CREATE, …: nothing to show
        return
    _print_rows(columns, rows, as_csv, out)


def _print_rows(columns: list[str], rows: list[tuple], as_csv: bool, out: TextIO) -> None:
    if as_csv:
        csv.writer(out, lineterminator="\n").writerows([columns, *rows])
    else:
        render(columns, rows, out)


def _meta(catalogue: Catalogue, command: str, out: TextIO) -> bool:
    """Run a dot command; False means quit."""
    if command in (".quit", ".exit"):
        return False
    if command == ".tables":
        print("\n".join(catalogue.tables), file=out)
    elif command == ".queries":
        for query in queries().values():
            print(f"{query.name}({', '.join(query.params)}): {query.description}", file=out)
    else:
        print(f"unknown command {command}: .tables, .queries, .quit", file=out)
    return True


def interactive(catalogue: Catalogue, stdin: TextIO, out: TextIO, as_csv: bool) -> int:
    """Statements end with `;`; `.tables`, `.queries`, `.quit`. Errors are shown, not fatal."""
    tty = stdin.isatty()
    if tty:
        import readline  # noqa: F401  (line editing and history for input())
    buffer: list[str] = []
    while True:
        if tty:
            try:
                line = input(CONTINUED if buffer else PROMPT)
            except EOFError:
                return 0
        else:
            line = stdin.readline()
            if not line:
                break
        if not buffer and line.strip().startswith("."):
            if not _meta(catalogue, line.strip(), out):
                return 0
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            _run(catalogue, "\n".join(buffer), as_csv, out)
            buffer = []
    if "".join(buffer).strip():
        _run(catalogue, "\n".join(buffer), as_csv, out)
    return 0


def _run(catalogue: Catalogue, statement: str, as_csv: bool, out: TextIO) -> bool:
    try:
        _print_result(catalogue.connection.execute(statement), as_csv, out)
    except duckdb.Error as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return False
    return True


def sql_command(args: argparse.Namespace) -> int:
    with lake_environment(say=lambda line: print(line, file=sys.stderr)) as (environ, origin):
        print(f"lake: {origin}", file=sys.stderr)
        return _session(args, open_catalogue(environ))


def _session(args: argparse.Namespace, catalogue: Catalogue) -> int:
    for note in catalogue.notes():
        print(f"note: {note}", file=sys.stderr)
    if args.command_text is not None:
        return 0 if _run(catalogue, args.command_text, args.csv, sys.stdout) else 1
    if args.query is not None:
        try:
            columns, rows = run_query(catalogue.connection, args.query, args.param)
        except duckdb.Error as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
        _print_rows(columns, rows, args.csv, sys.stdout)
        return 0
    if sys.stdin.isatty():
        print(
            f"lake s3://{catalogue.bucket}: {', '.join(catalogue.tables) or 'no tables'}"
            " — statements end with ';', .tables, .queries, .quit",
            file=sys.stderr,
        )
    return interactive(catalogue, sys.stdin, sys.stdout, args.csv)


def add_cli(sub: argparse._SubParsersAction) -> None:
    sql = sub.add_parser(
        "sql",
        help="SQL over the lake (DuckDB): bronze api_logs, Silver click_events, TLC trips",
        description="Opens the lake's views (infra/lake/views) over the S3 of the environment, "
        "else of the running local stack, else of the demo's kept stack, else the lake a "
        "stopped local or demo stack saved (the newer), through a temporary moto.",
    )
    what = sql.add_mutually_exclusive_group()
    what.add_argument("-c", dest="command_text", metavar="SQL", help="run SQL and exit")
    what.add_argument("-q", "--query", help="run a query of infra/lake/queries by name")
    sql.add_argument(
        "-p", "--param", action="append", default=[], help="a --query parameter, in order"
    )
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sql.set_defaults(func=sql_command)
