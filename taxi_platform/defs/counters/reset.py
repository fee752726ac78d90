"""The daily close of the counters: read them, ledger them, subtract exactly what was read.

Order, and why each step is where it is (the lossless reset):
1. Take an exclusive advisory lock; counter snapshots take it shared. No snapshot scan can
   then interleave with the subtraction, so comparing a snapshot's `captured_at` with the
   reset's `reset_at` tells truly whether it saw the reset (what `zone_diff_stats` needs).
2. Scan the three tables (consistent reads, the three at once; one scan serves the refusals
   below and the read). Bad items are left out, recorded as problems,
   and *not* reset: their value stays in DynamoDB for a person to repair.
3. Commit the ledger as 'pending' — before DynamoDB is touched.
4. Per item, `ADD count -n` with exactly the value read, in a conditional update that
   also stamps the item with the day's marker; an item already stamped is skipped. The
   updates are independent, so `RESET_WORKERS` run at once; all are attempted, and if any
   failed the run fails naming them, with the ledger still 'pending' (see below).
   Increments that land between 2 and 4 survive, because ADD is relative.
5. `reset_at` = after the last update returned; one transaction marks the ledger 'applied'
   and writes the `daily_zone_stats` row.

Before 3, two refusals keep a first reset from writing a ledger it cannot honour: a count
above `MAX_BIGINT` (the ledger's bigint could not hold it: nothing is written, nothing
reset), and an item already stamped with this day's marker or a later one while the ledger
has no such reset (its `counter_resets` row was deleted: reading again would ledger a
subtraction that never happens, because the stamped items are skipped).

A crash or a failed update between 3 and 5 leaves the ledger 'pending'. Snapshots then
refuse to run (a scan of a half-reset table cannot be explained by the ledger), and the next
run of the same partition resumes at 4 with the ledger's values: stamped items are skipped
and the rest subtracted, so each item is reset exactly once. A crash before 3 leaves
nothing to undo.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from taxi_platform.defs.counters.clock import Clock
from taxi_platform.defs.counters.items import COUNT, FLAG_KEY, ZONE_KEY
from taxi_platform.defs.counters.ledger import (
    APPLIED,
    DailyReset,
    commit_applied,
    insert_pending,
    load_reset,
    pending_reset_dates,
    previous_reset,
    resets_in_the_way,
    write_daily_row,
)
from taxi_platform.defs.counters.reading import read_totals, read_zone_counters, scan_counters
from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.threads import attempt_in_threads

COUNTERS_LOCK = "taxi_platform.defs.counters.reset"
RESET_MARKER = "last_reset"  # counter item attribute holding the marker of its last reset
RESET_WORKERS = 8
MAX_BIGINT = 2**63 - 1  # the ledger's and daily_zone_stats' bigint columns

READ_AND_RESET = "read and reset"
RESUMED = "resumed a pending reset"
REBUILT = "rebuilt from the ledger"


class ResetRefused(RuntimeError):
    """The partition cannot be closed now; the message names it, says why and what to do."""


class ResetIncomplete(RuntimeError):
    """Some item updates of a reset failed; the ledger stays pending for a re-run to finish."""


@dataclass(frozen=True)
class DayClose:
    """What a run of `daily_zone_stats` did: `action`, the ledger it wrote or found, how many
    item updates it applied and how many it found applied already (by a crashed run)."""

    reset: DailyReset
    action: str
    updates_applied: int = 0
    updates_found_applied: int = 0


def close_business_day(
    stat_date: date,
    dynamodb: DynamoDBResource,
    db: PostgresResource,
    valid_zones: Collection[str],
    clock: Clock,
) -> DayClose:
    """Close business day `stat_date`: first run resets, a re-run rebuilds (see module doc)."""
    with db.advisory_lock(COUNTERS_LOCK):
        reset = load_reset(db, stat_date)
        if reset is not None and reset.status == APPLIED:
            write_daily_row(db, reset.daily_row())
            return DayClose(reset, REBUILT)
        if reset is None:
            reset = _read_for_reset(stat_date, dynamodb, db, valid_zones, clock)
            insert_pending(db, reset)
            action = READ_AND_RESET
        else:
            action = RESUMED
        applied, found = _subtract(dynamodb, reset)
        reset = replace(reset, status=APPLIED, reset_at=clock.now())
        commit_applied(db, reset)
        return DayClose(reset, action, applied, found)


def ensure_no_pending_reset(db: PostgresResource) -> None:
    """Snapshots must not see a half-applied reset: fail loudly until it is resumed."""
    pending = pending_reset_dates(db)
    if pending:
        raise ResetRefused(_pending_message(pending))


def _pending_message(pending: list[date]) -> str:
    days = ", ".join(d.isoformat() for d in pending)
    return (
        f"the counter reset of business day {days} is pending (its daily_zone_stats run "
        "stopped between the DynamoDB reset and the commit): re-run daily_zone_stats for "
        f"{days}; it finishes the reset without subtracting twice, then snapshots resume"
    )


def _read_for_reset(
    stat_date: date,
    dynamodb: DynamoDBResource,
    db: PostgresResource,
    valid_zones: Collection[str],
    clock: Clock,
) -> DailyReset:
    in_the_way = resets_in_the_way(db, stat_date)
    pending = [d for d, status in in_the_way if status != APPLIED]
    if pending:
        raise ResetRefused(_pending_message(pending))
    if in_the_way:
        later = in_the_way[-1][0].isoformat()
        raise ResetRefused(
            f"daily_zone_stats {stat_date}: there is no reset ledger for {stat_date} and the "
            f"counters were already reset for the later business day {later}, so they no "
            f"longer hold {stat_date}'s counts and the row cannot be built (reading them now "
            f"would book later traffic on {stat_date}); the day's hourly history is in "
            "zone_diff_stats"
        )
    read_at = clock.now()
    scans = scan_counters(dynamodb)
    stamped = stamped_items(dynamodb, stat_date, scans)
    if stamped:
        raise ResetRefused(
            f"daily_zone_stats {stat_date}: there is no reset ledger for {stat_date}, but "
            f"{len(stamped)} counter items already carry a reset marker of {stat_date} or "
            f"later (first: {stamped[0]}): the counter_resets row of that reset was deleted. "
            "Reading now would ledger a subtraction that never happens; restore the "
            "counter_resets and counter_reset_ledger rows from a backup of daily_stats_db"
        )
    previous = previous_reset(db, stat_date)
    counters = read_zone_counters(dynamodb, valid_zones, scans)
    totals = read_totals(dynamodb, scans)
    too_big = [
        f"{kind} {key} = {n}"
        for kind, counts in (
            ("dispatches of", counters.dispatch),
            ("pickups of", counters.pickup),
            ("total", totals.values),
        )
        for key, n in sorted(counts.items())
        if n > MAX_BIGINT
    ]
    if too_big:
        raise ResetRefused(
            f"daily_zone_stats {stat_date}: counts above {MAX_BIGINT} (bigint) cannot be "
            f"ledgered: {', '.join(too_big[:5])}; nothing was reset. Repair the items in "
            "DynamoDB (a count that large is a write error), then re-run"
        )
    return DailyReset(
        stat_date=stat_date,
        read_at=read_at,
        counted_since=previous[1] if previous else None,
        total_dispatch=totals.values["dispatch"],
        total_pickup=totals.values["pickup"],
        subtracted={z: (d, p) for z, d, p in counters.rows(skip_unreadable=False) if d or p},
        problems=tuple(str(p) for p in (*counters.problems, *totals.problems)),
    )


def stamped_items(
    dynamodb: DynamoDBResource, stat_date: date, scans: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """Counter items (of `scans`, see `scan_counters`) whose last reset marker is for
    `stat_date` or a later business day, as `table/key` (markers are `reset YYYY-MM-DD`, so
    text order is date order)."""
    marker = f"reset {stat_date.isoformat()}"
    found = []
    for table, key_attribute in (
        (dynamodb.zone_dispatch_table, ZONE_KEY),
        (dynamodb.pickup_table, ZONE_KEY),
        (dynamodb.flag_table, FLAG_KEY),
    ):
        for item in scans[table]:
            stamp = _text(item.get(RESET_MARKER))
            if stamp is not None and stamp.startswith("reset ") and stamp >= marker:
                found.append(f"{table}/{_text(item.get(key_attribute))} ({stamp})")
    return sorted(found)


def unstamped_items(dynamodb: DynamoDBResource, reset: DailyReset) -> list[str]:
    """Items the ledger says `reset` subtracted from that carry no marker of it or of a later
    day: the ledger claims a subtraction the items do not show (`table/key (marker)`)."""
    claimed = {
        dynamodb.zone_dispatch_table: (
            ZONE_KEY,
            {z for z, n in reset.dispatches_by_zone().items() if n},
        ),
        dynamodb.pickup_table: (ZONE_KEY, {z for z, n in reset.pickups_by_zone().items() if n}),
        dynamodb.flag_table: (
            FLAG_KEY,
            {
                k
                for k, n in (("dispatch", reset.total_dispatch), ("pickup", reset.total_pickup))
                if n
            },
        ),
    }
    found = []
    scans = scan_counters(dynamodb)
    for table, (key_attribute, keys) in claimed.items():
        stamps = {
            _text(item.get(key_attribute)): _text(item.get(RESET_MARKER)) for item in scans[table]
        }
        for key in sorted(keys):
            stamp = stamps.get(key)
            if key not in stamps:
                found.append(f"{table}/{key} (no item)")
            elif stamp is None or stamp < reset.marker:
                found.append(f"{table}/{key} ({stamp or 'no reset marker'})")
    return found


def _text(value: Any) -> str | None:
    if isinstance(value, dict) and "S" in value:  # client-style attribute value
        value = value["S"]
    return value if isinstance(value, str) else None


def _subtract(dynamodb: DynamoDBResource, reset: DailyReset) -> tuple[int, int]:
    """`ADD count -n` once per item, `RESET_WORKERS` in flight (DynamoDB latency, not CPU,
    bounds a reset; a shorter reset also leaves less time for a crash). Every update is
    attempted; if any failed, `ResetIncomplete` names them and the ledger stays pending for
    the re-run to finish. Returns (applied now, found already applied)."""
    dispatches, pickups = reset.dispatches_by_zone(), reset.pickups_by_zone()
    updates = [
        *((dynamodb.zone_dispatch_table, ZONE_KEY, z, n) for z, n in dispatches.items()),
        *((dynamodb.pickup_table, ZONE_KEY, z, n) for z, n in pickups.items()),
        (dynamodb.flag_table, FLAG_KEY, "dispatch", reset.total_dispatch),
        (dynamodb.flag_table, FLAG_KEY, "pickup", reset.total_pickup),
    ]

    def subtract(update: tuple[str, str, str, int]) -> bool:
        table, key_attribute, key, n = update
        return dynamodb.add_once(table, {key_attribute: key}, COUNT, -n, RESET_MARKER, reset.marker)

    attempts = attempt_in_threads(subtract, [u for u in updates if u[3]], RESET_WORKERS)
    failed = [attempt for attempt in attempts if attempt.error is not None]
    if failed:
        (table, _, key, _), error = failed[0].item, failed[0].error
        day = reset.stat_date.isoformat()
        raise ResetIncomplete(
            f"daily_zone_stats {day}: {len(failed)} of {len(attempts)} counter updates failed "
            f"(first: {table}/{key}: {error}); the others are applied and the reset stays "
            f"pending: fix the cause, then re-run daily_zone_stats for {day}, which subtracts "
            "from the items not reset yet and from no other"
        ) from error
    applied = sum(attempt.value for attempt in attempts)
    return applied, len(attempts) - applied
