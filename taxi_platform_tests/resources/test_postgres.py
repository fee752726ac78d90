"""PostgresResource against the real embedded PostgreSQL, the database roles, and a static
check that no module of the code location formats SQL text."""

import ast
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

import taxi_platform
from taxi_platform.resources.arrow_copy import binary_schema
from taxi_platform.resources.postgres import PostgresResource, Range, Replaced, column_types
from taxi_platform.settings import ConfigError


@pytest.fixture
def scratch(postgres_db: PostgresResource):
    postgres_db.execute('DROP TABLE IF EXISTS "scratch table"')
    postgres_db.execute(
        'CREATE TABLE "scratch table" (day date, zone int, ids int[], note text, '
        "PRIMARY KEY (day, zone))"
    )
    yield '"scratch table"'
    postgres_db.execute('DROP TABLE "scratch table"')


def test_copy_rows_arrays_and_nulls(postgres_db: PostgresResource, scratch):
    rows = [(dt.date(2026, 11, 1), 1, [2, 3], None), (dt.date(2026, 11, 1), 2, [], "x")]
    with postgres_db.transaction() as conn:
        assert (
            postgres_db.copy_rows(conn, "scratch table", ["day", "zone", "ids", "note"], rows) == 2
        )
    got = postgres_db.fetch_all('SELECT zone, ids, note FROM "scratch table" ORDER BY zone')
    assert got == [{"zone": 1, "ids": [2, 3], "note": None}, {"zone": 2, "ids": [], "note": "x"}]


def test_copy_frame_turns_nan_into_null(postgres_db: PostgresResource, scratch):
    frame = pd.DataFrame(
        {
            "day": [dt.date(2026, 11, 2)] * 2,
            "zone": [1, 2],
            "ids": [[7], [8, 9]],
            "note": ["a", None],
        }
    )
    with postgres_db.transaction() as conn:
        postgres_db.copy_frame(conn, "scratch table", frame)
    assert postgres_db.fetch_all(
        'SELECT count(*) AS n FROM "scratch table" WHERE note IS NULL'
    ) == [{"n": 1}]


def test_replace_partition_is_idempotent_and_scoped(postgres_db: PostgresResource, scratch):
    def day(d: int, zones: list[int]) -> pa.Table:
        return pa.table(
            {
                "day": [dt.date(2026, 11, d)] * len(zones),
                "zone": zones,
                "ids": [[z] for z in zones],
                "note": [f"d{d}"] * len(zones),
            }
        )

    postgres_db.replace_partition("scratch table", {"day": dt.date(2026, 11, 3)}, day(3, [1, 2, 3]))
    postgres_db.replace_partition("scratch table", {"day": dt.date(2026, 11, 4)}, day(4, [1]))
    for _ in range(2):  # re-running a partition replaces it: same rows, no duplicates
        postgres_db.replace_partition(
            "scratch table", {"day": dt.date(2026, 11, 3)}, day(3, [5, 6])
        )
    got = postgres_db.fetch_all('SELECT day, zone FROM "scratch table" ORDER BY day, zone')
    assert [(r["day"].day, r["zone"]) for r in got] == [(3, 5), (3, 6), (4, 1)]


def test_schema_file_runs_once_per_process(postgres_db: PostgresResource, scratch, tmp_path):
    """Dagster builds a new resource instance for every run and step; the DDL file still runs
    once in the process (here a file whose every run leaves a row behind)."""
    ddl = tmp_path / "schema.sql"
    ddl.write_text("INSERT INTO \"scratch table\" (day, zone) VALUES ('2026-11-09', 1)")
    for _ in range(3):
        run_resource = PostgresResource(
            url=postgres_db.url, url_variable=postgres_db.url_variable, schema_sql=str(ddl)
        )
        run_resource.replace_partition(
            "scratch table",
            {"day": dt.date(2026, 11, 10)},
            pa.table({"day": [dt.date(2026, 11, 10)], "zone": [7]}),
        )
    got = postgres_db.fetch_all('SELECT day, zone FROM "scratch table" ORDER BY day')
    assert [(r["day"].day, r["zone"]) for r in got] == [(9, 1), (10, 7)]


def test_loads_leave_no_server_connection_open(postgres_db: PostgresResource, scratch):
    """Binary COPY keeps ADBC's driver database (the server's type catalogue) for the
    process, never a connection: after two loads no session of this resource remains."""
    for zone in (1, 2):
        load = pa.table({"day": [dt.date(2026, 11, 11)], "zone": [zone]})
        postgres_db.replace_table("scratch table", load)
    [row] = postgres_db.fetch_all(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = current_user"
        " AND application_name = %s AND pid <> pg_backend_pid()",
        [postgres_db.application_name],
    )
    assert row["n"] == 0
    assert postgres_db.fetch_all('SELECT zone FROM "scratch table"') == [{"zone": 2}]


def test_failed_replace_leaves_the_old_rows(postgres_db: PostgresResource, scratch):
    good = pa.table({"day": [dt.date(2026, 11, 5)], "zone": [1], "ids": [[1]], "note": ["old"]})
    postgres_db.replace_partition("scratch table", {"day": dt.date(2026, 11, 5)}, good)
    duplicate_key = pa.table(
        {"day": [dt.date(2026, 11, 5)] * 2, "zone": [1, 1], "ids": [[1], [1]], "note": ["n", "n"]}
    )
    with pytest.raises(psycopg.errors.UniqueViolation):
        postgres_db.replace_partition("scratch table", {"day": dt.date(2026, 11, 5)}, duplicate_key)
    assert postgres_db.fetch_all('SELECT note FROM "scratch table"') == [{"note": "old"}]


def scratch_rows(days: range, zones: list[int], note: str) -> list[dict]:
    return [
        {"day": dt.date(2026, 11, d), "zone": z, "ids": [d, z], "note": note}
        for d in days
        for z in zones
    ]


def scratch_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("day", pa.date32()),
                ("zone", pa.int32()),
                ("ids", pa.list_(pa.int32())),
                ("note", pa.string()),
            ]
        ),
    )


def all_rows(db: PostgresResource, table: str) -> list[dict]:
    return db.fetch_all(
        sql.SQL("SELECT day, zone, ids, note FROM {} ORDER BY day, zone").format(
            sql.Identifier(table)
        )
    )


def ordered(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["day"], r["zone"]))


def test_replace_range_replaces_inside_and_keeps_outside(postgres_db: PostgresResource, scratch):
    old = scratch_rows(range(1, 7), [1, 2], "old")
    postgres_db.replace_table("scratch table", scratch_table(old))
    new = scratch_rows(range(2, 4), [3], "new")  # days 2 and 3 now have zone 3 only
    window = Range("day", dt.date(2026, 11, 2), dt.date(2026, 11, 4))

    replaced = postgres_db.replace_tables({"scratch table": (window, scratch_table(new))})

    inside = [r for r in old if window.start <= r["day"] < window.end]
    assert replaced == {"scratch table": Replaced(deleted=len(inside), inserted=len(new))}
    assert [r["day"].day for r in inside] == [2, 2, 3, 3]  # start inclusive, end exclusive
    expected = ordered([r for r in old if r not in inside] + new)
    assert all_rows(postgres_db, "scratch table") == expected
    assert postgres_db.count_rows("scratch table", window) == len(new)
    # Re-running the range replaces it again: the same rows, no duplicates.
    assert postgres_db.replace_partition("scratch table", window, scratch_table(new)) == len(new)
    assert all_rows(postgres_db, "scratch table") == expected


@pytest.fixture
def second_scratch(postgres_db: PostgresResource):
    postgres_db.execute('DROP TABLE IF EXISTS "second scratch"')
    postgres_db.execute(
        'CREATE TABLE "second scratch" (day date, zone int CHECK (zone >= 0), ids int[], note text)'
    )
    yield "second scratch"
    postgres_db.execute('DROP TABLE "second scratch"')


def test_replace_tables_replaces_each_scope(postgres_db: PostgresResource, scratch, second_scratch):
    first_old = scratch_rows(range(1, 4), [1], "old")
    second_old = scratch_rows(range(1, 3), [1, 2], "old")
    postgres_db.replace_table("scratch table", scratch_table(first_old))
    postgres_db.replace_table(second_scratch, pd.DataFrame(second_old))
    first_new = scratch_rows(range(3, 5), [7], "new")
    second_new = scratch_rows(range(5, 6), [8, 9], "new")

    replaced = postgres_db.replace_tables(
        {
            "scratch table": (
                Range("day", dt.date(2026, 11, 3), dt.date(2026, 11, 5)),
                scratch_table(first_new),
            ),
            second_scratch: ({}, pd.DataFrame(second_new)),  # a frame, the whole table
        }
    )

    assert replaced == {
        "scratch table": Replaced(deleted=1, inserted=2),
        second_scratch: Replaced(deleted=len(second_old), inserted=len(second_new)),
    }
    assert all_rows(postgres_db, "scratch table") == ordered(first_old[:2] + first_new)
    assert all_rows(postgres_db, second_scratch) == ordered(second_new)


def test_failure_in_any_table_rolls_back_every_table(
    postgres_db: PostgresResource, scratch, second_scratch
):
    first_old = scratch_rows(range(1, 3), [1, 2], "old")
    second_old = scratch_rows(range(1, 3), [1], "old")
    postgres_db.replace_table("scratch table", scratch_table(first_old))
    postgres_db.replace_table(second_scratch, scratch_table(second_old))
    negative_zone = scratch_rows(range(1, 2), [-1], "new")  # violates the CHECK

    with pytest.raises(psycopg.errors.CheckViolation):
        postgres_db.replace_tables(
            {  # the first table is replaced, then the second fails: both must roll back
                "scratch table": ({}, scratch_table(scratch_rows(range(1, 2), [5], "new"))),
                second_scratch: (
                    Range("day", dt.date(2026, 11, 1), dt.date(2026, 11, 2)),
                    scratch_table(negative_zone),
                ),
            }
        )

    assert all_rows(postgres_db, "scratch table") == first_old
    assert all_rows(postgres_db, second_scratch) == second_old


def test_identifiers_are_quoted_not_formatted(postgres_db: PostgresResource, scratch):
    hostile = 'scratch table"; DROP TABLE "scratch table'
    with pytest.raises(psycopg.errors.UndefinedTable):
        postgres_db.count_rows(hostile)
    with pytest.raises(psycopg.errors.UndefinedColumn):
        postgres_db.replace_partition(
            "scratch table", Range("day\" >= '-infinity' OR \"day", None, None), pa.table({})
        )
    assert postgres_db.count_rows("scratch table") == 0


@pytest.mark.parametrize(
    "database,table",
    [
        ("postgres", "taxi_zones"),
        ("daily_stats_db", "daily_zone_stats"),
        ("gold", "mart_daily_traffic"),
    ],
)
def test_bi_reader_reads_but_cannot_write(stack_env, database: str, table: str):
    url = stack_env["TAXI_BI_READER_URL"].rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(url) as conn:
        conn.execute(f"SELECT count(*) FROM {table}")
    for statement in (f"DELETE FROM {table}", "CREATE TABLE bi_owned (a int)"):
        with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute(statement)
    # Even with read-only mode switched off, privileges stop the write.
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SET default_transaction_read_only = off")
        conn.execute("COMMIT")
        conn.execute(f"DELETE FROM {table}")


def test_writers_cannot_reach_other_databases(stack_env):
    writers = {
        "TAXI_POSTGRES_URL": "postgres",
        "TAXI_DAILY_STATS_URL": "daily_stats_db",
        "TAXI_GOLD_URL": "gold",
    }
    for variable, own in writers.items():
        for other in set(writers.values()) - {own}:
            url = stack_env[variable].rsplit("/", 1)[0] + f"/{other}"
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                psycopg.connect(url, connect_timeout=5)


def test_wrong_password_is_one_line_without_the_secret(stack_env):
    url = stack_env["TAXI_GOLD_URL"]
    secret = url.split(":")[2].split("@")[0]
    resource = PostgresResource(
        url=url.replace(secret, "hunter2-wrong"), url_variable="TAXI_GOLD_URL"
    )
    load = pa.table({"event_date": pa.array([dt.date(2026, 11, 1)])})
    for attempt in (  # psycopg's path, and the binary COPY's (ADBC)
        lambda: resource.count_rows("mart_daily_traffic"),
        lambda: resource.replace_table("mart_daily_traffic", load),
    ):
        with pytest.raises(ConfigError) as error:
            attempt()
        message = str(error.value)
        assert "TAXI_GOLD_URL" in message and "password authentication failed" in message
        assert "hunter2-wrong" not in message and secret not in message and "\n" not in message


def test_unreachable_server_and_missing_variable():
    down = PostgresResource(
        url="postgresql://u:p@127.0.0.1:1/postgres", url_variable="TAXI_POSTGRES_URL"
    )
    with pytest.raises(ConfigError, match=r"cannot connect .* TAXI_POSTGRES_URL"):
        down.count_rows("x")
    with pytest.raises(ConfigError, match=r"cannot connect .* TAXI_POSTGRES_URL"):
        down.replace_table("x", pa.table({"n": [1]}))
    with pytest.raises(ConfigError, match="TAXI_GOLD_URL is not set"):
        PostgresResource(url=None, url_variable="TAXI_GOLD_URL").count_rows("x")


@pytest.fixture
def typed(postgres_db: PostgresResource):
    postgres_db.execute('DROP TABLE IF EXISTS "typed scratch"')
    postgres_db.execute(
        'CREATE TABLE "typed scratch" (n bigint, note text, at timestamptz, naive timestamp, '
        "day date, ratio double precision, price numeric(10, 3), ok boolean, ids int[])"
    )
    yield "typed scratch"
    postgres_db.execute('DROP TABLE "typed scratch"')


TRICKY = {  # what a CSV load can get wrong: NULL vs '', quoting, offsets, float precision
    "n": pa.array([1, None, 2**53 + 1, -7], pa.int64()),
    "note": pa.array(["plain", "", None, 'comma, "quote"\nnewline \\N'], pa.string()),
    "at": pa.array(
        [
            dt.datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),
            None,
            dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        ],
        pa.timestamp("us", tz="Asia/Seoul"),
    ),
    "naive": pa.array(
        [dt.datetime(2026, 3, 1, 8, 15), None, dt.datetime(2009, 1, 1), dt.datetime(2026, 1, 1)],
        pa.timestamp("us"),
    ),
    "day": pa.array([dt.date(2026, 3, 1), None, dt.date(1970, 1, 1), dt.date(2026, 12, 31)]),
    "ratio": pa.array([0.1 + 0.2, None, 1e-300, float("inf")], pa.float64()),
    "price": pa.array([None, Decimal("1.250"), Decimal("-0.001"), Decimal("0.000")]),
    "ok": pa.array([True, None, False, True]),
}


@pytest.mark.parametrize("with_list", [False, True], ids=["csv", "row by row"])
def test_copy_arrow_round_trips_every_value(postgres_db: PostgresResource, typed, with_list):
    columns = dict(TRICKY)
    if with_list:  # a list column sends the whole table down the row-by-row path
        columns["ids"] = pa.array([[1, 2], [], None, [3]], pa.list_(pa.int32()))
    table = pa.table(columns)
    with postgres_db.transaction() as conn:
        assert postgres_db.copy_arrow(conn, typed, table) == 4
    got = postgres_db.fetch_all(f'SELECT {", ".join(columns)} FROM "{typed}" ORDER BY n NULLS LAST')
    expected = sorted(table.to_pylist(), key=lambda r: (r["n"] is None, r["n"] or 0))
    assert got == expected
    assert [r["note"] for r in got].count("") == 1 and [r["note"] for r in got].count(None) == 1


def test_replace_table_round_trips_every_value_by_binary_copy(postgres_db: PostgresResource, typed):
    # pandas' int64 for the int[] items, as a frame would bring them: cast to int4 on the way
    table = pa.table({**TRICKY, "ids": pa.array([[1, 2], [], None, [3]], pa.list_(pa.int64()))})
    with postgres_db.transaction() as conn:  # the binary path takes this table, lists included
        assert binary_schema(table, column_types(conn, typed)) is not None
    postgres_db.replace_table(typed, pa.table({"n": [5]}))  # a row the replacement deletes
    assert postgres_db.replace_table(typed, table) == 4
    got = postgres_db.fetch_all(f'SELECT {", ".join(table.column_names)} FROM "{typed}" ORDER BY n')
    expected = sorted(table.to_pylist(), key=lambda r: (r["n"] is None, r["n"] or 0))
    assert got == expected
    assert [r["note"] for r in got].count("") == 1 and [r["note"] for r in got].count(None) == 1


def test_a_column_without_a_binary_form_goes_by_csv(postgres_db: PostgresResource, typed):
    with postgres_db.transaction() as conn:
        types = column_types(conn, typed)
    assert binary_schema(pa.table({"price": [0.5]}), types) is None  # a float for a numeric
    assert postgres_db.replace_table(typed, pa.table({"price": [0.5], "n": [1]})) == 1
    assert postgres_db.fetch_all(f'SELECT n, price FROM "{typed}"') == [
        {"n": 1, "price": Decimal("0.500")}
    ]


# A statement's shape in the constant parts of built text; upper case only, so that log
# and error messages ("loaded 265 zones into …", "update it from …") are not taken for SQL.
SQL_TEXT = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\b.*\bSET|COPY\b.*\b(FROM|TO)"
    r"|TRUNCATE|WHERE)\b",
    re.DOTALL,
)


def _template(node: ast.AST) -> str | None:
    """The constant text of a string built at run time, `{}` where values go; None when
    `node` builds no string (f-string, `+` or `%` on strings, `str.format`)."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        parts = [_template(node.left), _template(node.right)]
        if all(p is None for p in parts):
            return None
        return "".join("{}" if p is None else p for p in parts)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value
    return None


def formatted_sql(source: str) -> list[tuple[int, str]]:
    """(line, constant text) of every place `source` builds SQL text rather than composing
    it with `psycopg.sql`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant):
            continue  # a constant statement is not built
        text = _template(node)
        if text is not None and SQL_TEXT.search(text):
            found.append((node.lineno, text))
    return sorted(set(found))  # a `+` of f-strings is found as both


@pytest.mark.parametrize(
    "source",
    [
        'f"SELECT * FROM {table} WHERE day = %s"',
        'db.execute("DELETE FROM " + table)',
        '"UPDATE %s SET n = 1" % table',
        '"COPY {} FROM STDIN".format(table)',
        'f"SELECT {cols} " "FROM x"',
        'sql.SQL(f"INSERT INTO {table} VALUES (%s)")',
        'q = ("SELECT a FROM t " + f"WHERE {column} = 1")',
    ],
)
def test_the_static_check_finds_formatted_sql(source: str):
    assert formatted_sql(source)


@pytest.mark.parametrize(
    "source",
    [
        'sql.SQL("SELECT * FROM {} WHERE day = %s").format(sql.Identifier(table))',
        'log.info(f"loaded {rows} zones into postgres.taxi_zones from {source}")',
        'raise ConfigError(f"the stack lacks outputs {names}: update it from " + where)',
        '"SELECT 1 FROM t"',
        'f"{len(lines) - 1} zones from {location}"',
    ],
)
def test_the_static_check_passes_composed_sql_and_messages(source: str):
    assert not formatted_sql(source)


# Modules whose SQL is not PostgreSQL's: the engine composes the SQL model files (SQL text is
# its input) for DuckDB, with every value (an input's URI) quoted by `sql_literal`.
NOT_POSTGRES = {"resources/engine.py"}


def test_no_module_formats_sql():
    """Names reach SQL only as `sql.Identifier`, values only as parameters, everywhere."""
    root = Path(taxi_platform.__file__).parent
    found = [
        f"{path.relative_to(root.parent)}:{line}: {text!r}"
        for path in sorted(root.rglob("*.py"))
        if str(path.relative_to(root)) not in NOT_POSTGRES
        for line, text in formatted_sql(path.read_text())
    ]
    assert not found, "SQL built by formatting; compose it with psycopg.sql:\n" + "\n".join(found)
