"""PostgresResource against the real embedded PostgreSQL, and the database roles."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import psycopg
import pyarrow as pa
import pytest

from taxi_platform.resources.postgres import PostgresResource
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


def test_failed_replace_leaves_the_old_rows(postgres_db: PostgresResource, scratch):
    good = pa.table({"day": [dt.date(2026, 11, 5)], "zone": [1], "ids": [[1]], "note": ["old"]})
    postgres_db.replace_partition("scratch table", {"day": dt.date(2026, 11, 5)}, good)
    duplicate_key = pa.table(
        {"day": [dt.date(2026, 11, 5)] * 2, "zone": [1, 1], "ids": [[1], [1]], "note": ["n", "n"]}
    )
    with pytest.raises(psycopg.errors.UniqueViolation):
        postgres_db.replace_partition("scratch table", {"day": dt.date(2026, 11, 5)}, duplicate_key)
    assert postgres_db.fetch_all('SELECT note FROM "scratch table"') == [{"note": "old"}]


def test_identifiers_are_quoted_not_formatted(postgres_db: PostgresResource, scratch):
    hostile = 'scratch table"; DROP TABLE "scratch table'
    with pytest.raises(psycopg.errors.UndefinedTable):
        postgres_db.count_rows(hostile)
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
    with pytest.raises(ConfigError) as error:
        resource.count_rows("mart_daily_traffic")
    message = str(error.value)
    assert "TAXI_GOLD_URL" in message and "password authentication failed" in message
    assert "hunter2-wrong" not in message and secret not in message and "\n" not in message


def test_unreachable_server_and_missing_variable():
    with pytest.raises(ConfigError, match=r"cannot connect .* TAXI_POSTGRES_URL"):
        PostgresResource(
            url="postgresql://u:p@127.0.0.1:1/postgres", url_variable="TAXI_POSTGRES_URL"
        ).count_rows("x")
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
