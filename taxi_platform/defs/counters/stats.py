"""Pure stats over the counters: the daily row, the business day, the hourly diffs, checks.

Everything takes and returns plain data (dicts, dates, aware datetimes, ints, Decimals) so
that assets read from DynamoDB/PostgreSQL, call these, and write the result unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from taxi_platform.defs.counters.items import CounterDataError

BUSINESS_TZ = "Asia/Seoul"
CUTOFF_HOUR = 3

RecordT = TypeVar("RecordT", "Snapshot", "Reset")


# --- daily_zone_stats ---------------------------------------------------------------------


def daily_zone_stats_row(
    stat_date: date,
    pickups_by_zone: Mapping[str, int],
    dispatch_total: int,
    pickup_total: int,
) -> dict[str, Any]:
    """One `daily_zone_stats` row from the counters read at the end of business day `stat_date`.

    Most-pickup zone: the highest count; ties go to the alphabetically first name. Least-pickup
    zone: the lowest count *among zones with at least one pickup*; ties alphabetically first.
    Zones with 0 are left out because a zone's item only exists once it has had a pickup on
    some earlier day and the reset subtracts rather than deletes: which zones show a 0 depends
    on history, not on the day (a zone with no pickup and no item would be invisible anyway).
    A day without any pickup is still a fact worth a row: zones and their counts are None
    (NULL), totals are what the flags said, and the rate is None when there was no dispatch.
    """
    negative = {zone: n for zone, n in pickups_by_zone.items() if n < 0}
    if negative or dispatch_total < 0 or pickup_total < 0:
        raise ValueError(
            f"negative counts for {stat_date}: dispatches {dispatch_total}, "
            f"pickups {pickup_total}, zones {negative}"
        )
    active = [(zone, n) for zone, n in pickups_by_zone.items() if n > 0]
    most = min(active, key=lambda zn: (-zn[1], zn[0]), default=(None, None))
    least = min(active, key=lambda zn: (zn[1], zn[0]), default=(None, None))
    return {
        "stat_date": stat_date,
        "most_pickup_zone": most[0],
        "most_pickup_count": most[1],
        "least_pickup_zone": least[0],
        "least_pickup_count": least[1],
        "total_dispatch": dispatch_total,
        "total_pickup": pickup_total,
        "dispatch_success_rate": success_rate(pickup_total, dispatch_total),
    }


def success_rate(pickups: int, dispatches: int) -> Decimal | None:
    """pickups / dispatches rounded half-up to 3 decimals, exactly (integer arithmetic, so no
    float or Decimal-context rounding can move a value that sits on a .0005 boundary).
    None when there was no dispatch: 0/0 is not a 0 % success rate."""
    if dispatches == 0:
        return None
    thousandths = (2000 * pickups + dispatches) // (2 * dispatches)
    return Decimal(thousandths).scaleb(-3)


# --- business day -------------------------------------------------------------------------


def business_day_window(
    stat_date: date, tz: str = BUSINESS_TZ, cutoff_hour: int = CUTOFF_HOUR
) -> tuple[datetime, datetime]:
    """[D cutoff, D+1 cutoff) in `tz` wall-clock time: the span counted into partition D."""
    if not 0 <= cutoff_hour <= 23:
        raise ValueError(f"cutoff_hour must be 0..23, got {cutoff_hour}")
    zone = ZoneInfo(tz)
    start = datetime.combine(stat_date, time(cutoff_hour), tzinfo=zone)
    end = datetime.combine(stat_date + timedelta(days=1), time(cutoff_hour), tzinfo=zone)
    return start, end


def business_day_of(ts: datetime, tz: str = BUSINESS_TZ, cutoff_hour: int = CUTOFF_HOUR) -> date:
    """The business day an instant belongs to; naive datetimes are refused because the answer
    depends on the time zone they were meant in."""
    _require_aware(ts)
    if not 0 <= cutoff_hour <= 23:
        raise ValueError(f"cutoff_hour must be 0..23, got {cutoff_hour}")
    return (ts.astimezone(ZoneInfo(tz)) - timedelta(hours=cutoff_hour)).date()


# --- zone_diff_stats ----------------------------------------------------------------------


class Snapshot(NamedTuple):
    """A `zone_hourly_activity_log` row: cumulative counters since the last reset."""

    captured_at: datetime
    zone_id: str
    dispatch_count: int
    pickup_count: int


class Reset(NamedTuple):
    """A reset ledger row: what the daily job subtracted (`ADD count -n`) from one zone."""

    reset_at: datetime
    zone_id: str
    dispatch_subtracted: int
    pickup_subtracted: int


@dataclass(frozen=True)
class DiffIssue:
    """`kind` is "anomaly" (the zone is left out of the rows) or "no_baseline" (the zone's row
    is written but may miss the increments before its first snapshot in the hour)."""

    zone_id: str
    kind: str
    detail: str


@dataclass(frozen=True)
class HourlyDiffs:
    """The `zone_diff_stats` rows of one hour, the issues found, and the capture time of the
    latest snapshot used: if it is before `hour_end`, the hour was computed too early."""

    rows: list[dict[str, Any]]
    issues: tuple[DiffIssue, ...]
    covered_until: datetime


def hourly_zone_diffs(
    snapshots: Iterable[Snapshot | Mapping[str, Any] | tuple],
    hour_start: datetime,
    hour_end: datetime,
    resets: Iterable[Reset | Mapping[str, Any] | tuple] = (),
) -> HourlyDiffs:
    """Per-zone dispatches and pickups within [hour_start, hour_end) from cumulative snapshots.

    Counters only move by increments and by ledgered resets, so between two snapshots
    a → b: increments = b − a + (subtracted by resets with a.captured_at < reset_at ≤
    b.captured_at). A reset is counted as seen by a snapshot captured at or after its
    `reset_at`, so the ledger must record `reset_at` after the UpdateItem returned and
    snapshots must record when their scan started. Each snapshot must be a complete scan.

    The hour runs from the zone's last snapshot at or before `hour_start` to its last
    snapshot at or before `hour_end`; consecutive hours therefore chain without gap or overlap.
    Without a zone snapshot at or before `hour_start`:
      - if some scan happened at or before `hour_start`, the zone's item did not exist yet
        (items are created by the first increment and never deleted), so the baseline is 0;
      - otherwise (the collector was not running) the first snapshot in the hour is the
        baseline and a "no_baseline" issue says increments before it are missing.
    A zone whose counter went down by more than the ledger explains, or that is missing from
    every scan of the hour, gets an "anomaly" issue and no row: no negative or invented count.
    Rows: `timestamp` = hour_start, `zone_id`, `dispatch_count`, `pickup_count`,
    `dispatch_minus_pickup`, sorted by zone; zones with no activity get zeros.
    Raises `CounterDataError` when there is no snapshot in (hour_start, hour_end] at all.
    """
    _require_aware(hour_start)
    _require_aware(hour_end)
    if hour_end <= hour_start:
        raise ValueError(f"empty hour: {hour_start} .. {hour_end}")
    series: dict[str, list[Snapshot]] = defaultdict(list)
    for snapshot in (_record(Snapshot, row) for row in snapshots):
        if snapshot.captured_at <= hour_end:
            series[snapshot.zone_id].append(snapshot)
    scans = {s.captured_at for zone_series in series.values() for s in zone_series}
    covered_until = max((t for t in scans if t > hour_start), default=None)
    if covered_until is None:
        raise CounterDataError(
            f"no counter snapshot in ({hour_start.isoformat()}, {hour_end.isoformat()}]: "
            "the collector did not run, so the hour cannot be computed"
        )
    last_scan_before = max((t for t in scans if t <= hour_start), default=None)
    ledger: dict[str, list[Reset]] = defaultdict(list)
    for reset in (_record(Reset, row) for row in resets):
        ledger[reset.zone_id].append(reset)

    rows: list[dict[str, Any]] = []
    issues: list[DiffIssue] = []
    for zone in sorted(series):
        zone_series = sorted(series[zone], key=lambda s: s.captured_at)
        before = [s for s in zone_series if s.captured_at <= hour_start]
        within = [s for s in zone_series if s.captured_at > hour_start]
        if not within:
            issues.append(DiffIssue(zone, "anomaly", "missing from every snapshot of the hour"))
            continue
        if before:
            chain = [before[-1], *within]
        elif last_scan_before is not None:
            chain = [Snapshot(last_scan_before, zone, 0, 0), *within]
        else:
            chain = within
            issues.append(
                DiffIssue(
                    zone,
                    "no_baseline",
                    f"no snapshot at or before {hour_start.isoformat()}: increments before "
                    f"{within[0].captured_at.isoformat()} are not counted",
                )
            )
        counted = _increments(chain, ledger[zone])
        if isinstance(counted, str):
            issues.append(DiffIssue(zone, "anomaly", counted))
            continue
        dispatch, pickup = counted
        rows.append(
            {
                "timestamp": hour_start,
                "zone_id": zone,
                "dispatch_count": dispatch,
                "pickup_count": pickup,
                "dispatch_minus_pickup": dispatch - pickup,
            }
        )
    return HourlyDiffs(rows, tuple(issues), covered_until)


def _increments(chain: list[Snapshot], resets: list[Reset]) -> tuple[int, int] | str:
    """Summed (dispatch, pickup) increments along consecutive snapshots, or why they cannot be
    trusted. Checked pair by pair so that a drop cannot hide behind a later rise."""
    dispatch = pickup = 0
    for a, b in pairwise(chain):
        between = [r for r in resets if a.captured_at < r.reset_at <= b.captured_at]
        d = b.dispatch_count - a.dispatch_count + sum(r.dispatch_subtracted for r in between)
        p = b.pickup_count - a.pickup_count + sum(r.pickup_subtracted for r in between)
        if d < 0 or p < 0:
            return (
                f"counter went down between {a.captured_at.isoformat()} and "
                f"{b.captured_at.isoformat()} by more than the reset ledger explains "
                f"(dispatch {d:+d}, pickup {p:+d} after adding back resets)"
            )
        dispatch += d
        pickup += p
    return dispatch, pickup


def _record(cls: type[RecordT], row: Any) -> RecordT:
    """Row → NamedTuple; rows may be NamedTuples, plain tuples in column order, or mappings
    (e.g. psycopg's dict_row) with at least the named columns."""
    if isinstance(row, Mapping):
        return cls(*(row[field] for field in cls._fields))
    return cls(*row)


def _require_aware(ts: datetime) -> None:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts.isoformat()}: give a time zone")


# --- checks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotalsComparison:
    """A flag total against the sum of its per-zone counter. Scans of two tables are not
    atomic, so live traffic makes small honest differences; `agrees` takes that tolerance."""

    total: int
    zone_sum: int

    @property
    def difference(self) -> int:
        return self.total - self.zone_sum

    def agrees(self, tolerance: int = 0) -> bool:
        return abs(self.difference) <= tolerance


def compare_totals(by_zone: Mapping[str, int], total: int) -> TotalsComparison:
    return TotalsComparison(total=total, zone_sum=sum(by_zone.values()))


def daily_row_problems(row: Mapping[str, Any]) -> list[str]:
    """What is wrong with a `daily_zone_stats` row (empty = fine): the rate must be NULL exactly
    when there was no dispatch and otherwise lie in [0, 1]; most ≥ least; zone and count
    NULL together."""
    problems = []
    rate, dispatches = row["dispatch_success_rate"], row["total_dispatch"]
    if (rate is None) != (dispatches == 0):
        problems.append(f"rate {rate} with {dispatches} dispatches")
    elif rate is not None and not 0 <= rate <= 1:
        problems.append(f"rate {rate} outside [0, 1]")
    for end in ("most", "least"):
        if (row[f"{end}_pickup_zone"] is None) != (row[f"{end}_pickup_count"] is None):
            problems.append(f"{end}_pickup_zone and {end}_pickup_count are not NULL together")
    most, least = row["most_pickup_count"], row["least_pickup_count"]
    if most is not None and least is not None and most < least:
        problems.append(f"most_pickup_count {most} < least_pickup_count {least}")
    return problems
