"""Landing's pure decisions: when to fetch, which missed windows to catch up, replay times.

Why a window cursor: the seed's API only serves the latest batch, so a poll that fails or
runs late loses a batch for good. The simulator (and any API that should replace the seed's)
numbers its windows (`X-Log-Window`, `X-Log-Latest-Window`) and serves past ones
(`?window=k`); landing remembers the newest window up to which everything has landed and,
on every run, fetches the windows it missed. Without those headers landing still works,
one latest batch per run, and the only protection left is de-duplication by batch id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW_HEADER = "X-Log-Window"
LATEST_HEADER = "X-Log-Latest-Window"


@dataclass(frozen=True)
class CatchUp:
    windows: list[int]  # missed windows to fetch with ?window=k, oldest first
    cursor: int | None  # everything up to this window has landed once they are
    restarted: bool = False  # the source numbers from 0 again: the old cursor was dropped


def seconds_to_wait(now: datetime, fetch_second: int) -> float:
    """Cron has minutes only: a run started at HH:MM:00.8 waits until HH:MM:<fetch_second>,
    just after the source refreshes (the seed fetched at second 5). A late run never waits."""
    elapsed = now.second + now.microsecond / 1e6
    return max(0.0, fetch_second - elapsed)


def header_window(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def plan_catch_up(
    cursor: int | None, served: int | None, latest: int | None, limit: int
) -> CatchUp:
    """Missed windows after the one just `served`. No numbering, no cursor yet (first run),
    or a source that restarted its numbering: land the served window and start from it.
    At most `limit` windows per run, oldest first; the next run goes on from there."""
    if served is None:
        return CatchUp([], None)
    newest = max(served, latest if latest is not None else served)
    if cursor is None or newest < cursor:
        return CatchUp([], served, restarted=cursor is not None)
    missed = [k for k in range(cursor + 1, newest + 1) if k != served]
    if len(missed) <= limit:
        return CatchUp(missed, max(cursor, newest))
    return CatchUp(missed[:limit], missed[limit - 1])


def replay_fetched_at(body: bytes, fetch_second: int) -> datetime:
    """When the schedule would have fetched this batch: its `ArrivalTimeStamp` (the end of
    its window) plus `fetch_second`. Replays land history as if it had been polled on time."""
    try:
        arrival = datetime.fromisoformat(json.loads(body)["ArrivalTimeStamp"])
    except (ValueError, KeyError, TypeError):
        raise ValueError("replay needs responses with an ISO-8601 ArrivalTimeStamp") from None
    if arrival.utcoffset() is None:
        raise ValueError("replay needs an ArrivalTimeStamp with a UTC offset")
    return arrival + timedelta(seconds=fetch_second)
