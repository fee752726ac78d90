"""A window of `zone_diff_stats` hours from snapshots and resets, around `hourly_zone_diffs`.

Why a grace: the snapshot scheduled at HH:00 starts a few seconds after HH:00 (run launch),
so "the last snapshot at or before HH:00" would be the HH-1:55 one and every hour would be
measured five minutes early. Each hour is therefore measured between the last snapshots at
or before start + `GRACE` and end + `GRACE`: the snapshots its boundary ticks took.
Consecutive hours still chain without gap or overlap, and `GRACE` stays well below the
5-minute snapshot interval so that it never reaches the next tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from taxi_platform.defs.counters.items import CounterDataError
from taxi_platform.defs.counters.stats import Reset, Snapshot, hourly_zone_diffs

GRACE = timedelta(minutes=2)
HOUR = timedelta(hours=1)
ANOMALY, NO_BASELINE, LATE_BOUNDARY = "anomaly", "no_baseline", "late_boundary"


@dataclass
class WindowDiffs:
    """Rows and issues (`zone_diff_issues` rows) of the hours that could be computed, and
    `(hour, reason)` for those that could not (no snapshot in the hour)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    uncomputable: list[tuple[datetime, str]] = field(default_factory=list)


def hour_starts(start: datetime, end: datetime) -> list[datetime]:
    hours, hour = [], start
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def diff_window(
    snapshots: Iterable[Snapshot], resets: Iterable[Reset], start: datetime, end: datetime
) -> WindowDiffs:
    """Every hour in [start, end): rows stamped with the hour's start, and its issues."""
    result = WindowDiffs()
    for hour, hour_snapshots, hour_resets in _per_hour(snapshots, resets, start, end):
        try:
            diffs = hourly_zone_diffs(
                hour_snapshots, hour + GRACE, hour + HOUR + GRACE, hour_resets
            )
        except CounterDataError as exc:
            result.uncomputable.append((hour, str(exc)))
            continue
        result.rows += [{**row, "timestamp": hour} for row in diffs.rows]
        result.issues += [_issue(hour, i.zone_id, i.kind, i.detail) for i in diffs.issues]
        if diffs.covered_until < hour + HOUR:
            result.issues.append(
                _issue(
                    hour,
                    None,
                    LATE_BOUNDARY,
                    f"no snapshot in [{(hour + HOUR).isoformat()}, "
                    f"{(hour + HOUR + GRACE).isoformat()}]: measured until "
                    f"{diffs.covered_until.isoformat()}; later increments count in the next hour",
                )
            )
    return result


def _per_hour(
    snapshots: Iterable[Snapshot], resets: Iterable[Reset], start: datetime, end: datetime
) -> Iterator[tuple[datetime, list[Snapshot], list[Reset]]]:
    """Each hour with what `hourly_zone_diffs` uses of the inputs: every zone's last snapshot
    at or before the hour's start boundary, the snapshots within the hour, and the resets
    between the oldest of those and the hour's end boundary. The same rows as handing it
    everything, at a cost that does not grow with the window (a two-week backfill did)."""
    ordered = sorted(snapshots, key=lambda s: s.captured_at)
    ordered_resets = sorted(resets, key=lambda r: r.reset_at)
    latest_before: dict[str, Snapshot] = {}
    taken = 0
    for hour in hour_starts(start, end):
        opens, closes = hour + GRACE, hour + HOUR + GRACE
        while taken < len(ordered) and ordered[taken].captured_at <= opens:
            latest_before[ordered[taken].zone_id] = ordered[taken]
            taken += 1
        within = []
        for snapshot in ordered[taken:]:
            if snapshot.captured_at > closes:
                break
            within.append(snapshot)
        hour_snapshots = [*latest_before.values(), *within]
        oldest = min((s.captured_at for s in hour_snapshots), default=opens)
        hour_resets = [r for r in ordered_resets if oldest < r.reset_at <= closes]
        yield hour, hour_snapshots, hour_resets


def _issue(hour: datetime, zone: str | None, kind: str, detail: str) -> dict[str, Any]:
    return {"timestamp": hour, "zone_id": zone, "kind": kind, "detail": detail}
