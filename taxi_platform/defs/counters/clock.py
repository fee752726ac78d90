"""The time the counters' collectors record, and the run config that can replay it.

Why a clock at all: snapshot times (`captured_at`) and reset times (`reset_at`) are compared
with each other to tell which snapshots saw a reset, so they must come from one ordered
source. The demo and the tests replay simulated days: a run may pretend to start at a given
instant, and every later reading advances with real time from there, so the order of
events inside the run stays the real one. (No `from __future__ import annotations` here:
Dagster reads the Config's annotations.)
"""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field


class Clock:
    """The wall clock (UTC), or a replay clock whose first reading is exactly `start`."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and (start.tzinfo is None or start.utcoffset() is None):
            raise ValueError(f"clock start {start.isoformat()} has no UTC offset: add one")
        self._start = start
        self._first_reading: float | None = None

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        reading = time.monotonic()
        if self._first_reading is None:
            self._first_reading = reading
        return self._start + timedelta(seconds=reading - self._first_reading)


class CounterClockConfig(dg.Config):
    """Run config of the assets that read the live counters."""

    clock_at: str | None = Field(
        default=None,
        description=(
            "Replay: the run starts at this instant (ISO 8601 with offset, e.g. "
            "2025-08-25T09:00:00+09:00) instead of now. A snapshot is then captured exactly "
            "at it (re-running replaces that snapshot); a reset's read_at is it and its "
            "reset_at follows with the real elapsed time. For simulated traffic (demo, tests)."
        ),
    )

    def clock(self) -> Clock:
        return Clock(datetime.fromisoformat(self.clock_at) if self.clock_at else None)
