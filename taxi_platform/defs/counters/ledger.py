"""The counter reset ledger in `daily_stats_db`: what each daily reset read and subtracted.

Why a ledger: after the reset the DynamoDB counters no longer hold the day, so the ledger is
the day's only record. It makes `daily_zone_stats` re-runnable (the row is rebuilt from it,
never re-read), makes the reset resumable after a crash (it is written 'pending' before
DynamoDB is touched), and lets `zone_diff_stats` add back what a reset took away.
Tables: `counter_resets` (one row per business day) and `counter_reset_ledger` (per zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from taxi_platform.defs.counters.stats import Reset, daily_zone_stats_row
from taxi_platform.resources.postgres import (
    PostgresResource,
    column_list,
    delete_rows,
    table_identifier,
)

PENDING, APPLIED = "pending", "applied"
RESETS = "counter_resets"
LEDGER = "counter_reset_ledger"
DAILY_TABLE = "daily_zone_stats"
DAILY_COLUMNS = (
    "stat_date",
    "most_pickup_zone",
    "most_pickup_count",
    "least_pickup_zone",
    "least_pickup_count",
    "total_dispatch",
    "total_pickup",
    "dispatch_success_rate",
)


def _query(text: str) -> sql.Composed:
    """`text` with its `{resets}`, `{ledger}` and `{daily}` filled in as quoted identifiers."""
    return sql.SQL(text).format(
        resets=table_identifier(RESETS),
        ledger=table_identifier(LEDGER),
        daily=table_identifier(DAILY_TABLE),
    )


@dataclass(frozen=True)
class DailyReset:
    """One business day's reset: the totals and per-zone counts read (= subtracted).

    `subtracted` maps zone → (dispatches, pickups); zones with nothing to subtract are left
    out. `counted_since` is the previous reset's `reset_at` (None: never reset before), so
    the counts cover (counted_since, read_at]. `problems` are the items that were not read
    and therefore not reset: they are still in DynamoDB, untouched.
    """

    stat_date: date
    read_at: datetime
    counted_since: datetime | None
    total_dispatch: int
    total_pickup: int
    subtracted: dict[str, tuple[int, int]]
    problems: tuple[str, ...] = ()
    status: str = PENDING
    reset_at: datetime | None = None

    @property
    def marker(self) -> str:
        """Stamped on each counter item by its reset update, so a resumed reset skips it."""
        return f"reset {self.stat_date.isoformat()}"

    def dispatches_by_zone(self) -> dict[str, int]:
        return {zone: d for zone, (d, _) in self.subtracted.items()}

    def pickups_by_zone(self) -> dict[str, int]:
        return {zone: p for zone, (_, p) in self.subtracted.items()}

    def daily_row(self) -> dict[str, Any]:
        """The `daily_zone_stats` row: always built from the ledger, first run or re-run."""
        return daily_zone_stats_row(
            self.stat_date, self.pickups_by_zone(), self.total_dispatch, self.total_pickup
        )


def load_reset(db: PostgresResource, stat_date: date) -> DailyReset | None:
    header = db.fetch_all(_query("SELECT * FROM {resets} WHERE stat_date = %s"), [stat_date])
    if not header:
        return None
    ledger = db.fetch_all(
        _query(
            "SELECT zone_id, dispatch_subtracted, pickup_subtracted FROM {ledger} "
            "WHERE stat_date = %s ORDER BY zone_id"
        ),
        [stat_date],
    )
    h = header[0]
    return DailyReset(
        stat_date=h["stat_date"],
        read_at=h["read_at"],
        counted_since=h["counted_since"],
        total_dispatch=h["total_dispatch"],
        total_pickup=h["total_pickup"],
        subtracted={
            r["zone_id"]: (r["dispatch_subtracted"], r["pickup_subtracted"]) for r in ledger
        },
        problems=tuple(h["problems"]),
        status=h["status"],
        reset_at=h["reset_at"],
    )


def insert_pending(db: PostgresResource, reset: DailyReset) -> None:
    """Commit what is about to be subtracted, before DynamoDB is touched."""
    with db.transaction() as conn:
        conn.execute(
            _query(
                "INSERT INTO {resets} (stat_date, status, read_at, counted_since, "
                "total_dispatch, total_pickup, problems) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            ),
            [
                reset.stat_date,
                PENDING,
                reset.read_at,
                reset.counted_since,
                reset.total_dispatch,
                reset.total_pickup,
                Jsonb(list(reset.problems)),
            ],
        )
        db.copy_rows(
            conn,
            LEDGER,
            ["stat_date", "zone_id", "dispatch_subtracted", "pickup_subtracted"],
            ((reset.stat_date, z, d, p) for z, (d, p) in sorted(reset.subtracted.items())),
        )


def commit_applied(db: PostgresResource, reset: DailyReset) -> None:
    """Mark the reset applied and write its daily row: one transaction, both or neither."""
    with db.transaction() as conn:
        conn.execute(
            _query("UPDATE {resets} SET status = %s, reset_at = %s WHERE stat_date = %s"),
            [APPLIED, reset.reset_at, reset.stat_date],
        )
        _replace_daily_row(db, conn, reset.daily_row())


def write_daily_row(db: PostgresResource, row: dict[str, Any]) -> None:
    with db.transaction() as conn:
        _replace_daily_row(db, conn, row)


def _replace_daily_row(db: PostgresResource, conn, row: dict[str, Any]) -> None:
    delete_rows(conn, DAILY_TABLE, {"stat_date": row["stat_date"]})
    db.copy_rows(conn, DAILY_TABLE, DAILY_COLUMNS, [tuple(row[c] for c in DAILY_COLUMNS)])


def load_daily_row(db: PostgresResource, stat_date: date) -> dict[str, Any] | None:
    query = sql.SQL("SELECT {} FROM {} WHERE stat_date = %s").format(
        column_list(DAILY_COLUMNS), table_identifier(DAILY_TABLE)
    )
    rows = db.fetch_all(query, [stat_date])
    return rows[0] if rows else None


def latest_stat_date(db: PostgresResource) -> date | None:
    return db.fetch_all(_query("SELECT max(stat_date) AS day FROM {daily}"))[0]["day"]


def resets_in_the_way(db: PostgresResource, stat_date: date) -> list[tuple[date, str]]:
    """Resets that forbid a first reset for `stat_date`: later ones, and pending ones."""
    rows = db.fetch_all(
        _query(
            "SELECT stat_date, status FROM {resets} WHERE stat_date > %s OR status = %s "
            "ORDER BY stat_date"
        ),
        [stat_date, PENDING],
    )
    return [(r["stat_date"], r["status"]) for r in rows]


def pending_reset_dates(db: PostgresResource) -> list[date]:
    rows = db.fetch_all(_query("SELECT stat_date FROM {resets} WHERE status = %s"), [PENDING])
    return [r["stat_date"] for r in rows]


def previous_reset(db: PostgresResource, stat_date: date) -> tuple[date, datetime] | None:
    rows = db.fetch_all(
        _query(
            "SELECT stat_date, reset_at FROM {resets} WHERE stat_date < %s AND status = %s "
            "ORDER BY stat_date DESC LIMIT 1"
        ),
        [stat_date, APPLIED],
    )
    return (rows[0]["stat_date"], rows[0]["reset_at"]) if rows else None


def applied_resets(db: PostgresResource, after: datetime, until: datetime) -> list[Reset]:
    """Ledger entries of resets applied in (after, until], as `stats.Reset` records."""
    rows = db.fetch_all(
        _query(
            "SELECT r.reset_at, l.zone_id, l.dispatch_subtracted, l.pickup_subtracted "
            "FROM {ledger} l JOIN {resets} r USING (stat_date) "
            "WHERE r.status = %s AND r.reset_at > %s AND r.reset_at <= %s"
        ),
        [APPLIED, after, until],
    )
    return [Reset(**r) for r in rows]
