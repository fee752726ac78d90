"""The hour window around `hourly_zone_diffs`: boundary snapshots that start late, gaps."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from taxi_platform.counters.hourly import GRACE, LATE_BOUNDARY, diff_window
from taxi_platform.counters.stats import Snapshot

SEOUL = ZoneInfo("Asia/Seoul")
TEN = datetime(2025, 8, 25, 10, tzinfo=SEOUL)
HOUR = timedelta(hours=1)


def snap(at: datetime, dispatch: int, pickup: int = 0, zone: str = "Seaport") -> Snapshot:
    return Snapshot(at, zone, dispatch, pickup)


def test_snapshots_of_the_boundary_ticks_define_the_hour_even_when_they_start_late():
    late = timedelta(seconds=7)
    snapshots = [
        snap(TEN - HOUR + late, 1),
        snap(TEN + late, 5, 1),  # the 10:00 tick's snapshot, taken at 10:00:07
        snap(TEN + timedelta(minutes=30), 9, 2),
        snap(TEN + HOUR + late, 20, 4),  # the 11:00 tick's
        snap(TEN + HOUR + GRACE + late, 99, 9),  # the next tick's: not this hour's
    ]

    diffs = diff_window(snapshots, [], TEN, TEN + HOUR)

    assert diffs.rows == [
        {
            "timestamp": TEN,
            "zone_id": "Seaport",
            "dispatch_count": 15,
            "pickup_count": 3,
            "dispatch_minus_pickup": 12,
        }
    ]
    assert diffs.issues == [] and diffs.uncomputable == []


def test_a_missing_end_snapshot_is_a_late_boundary_and_consecutive_hours_still_chain():
    snapshots = [snap(TEN, 0), snap(TEN + timedelta(minutes=50), 6), snap(TEN + 2 * HOUR, 10)]

    diffs = diff_window(snapshots, [], TEN, TEN + 2 * HOUR)

    assert [(r["timestamp"], r["dispatch_count"]) for r in diffs.rows] == [
        (TEN, 6),
        (TEN + HOUR, 4),
    ]
    assert [(i["timestamp"], i["zone_id"], i["kind"]) for i in diffs.issues] == [
        (TEN, None, LATE_BOUNDARY)
    ]


def test_hours_without_any_snapshot_are_named_not_zero():
    diffs = diff_window([snap(TEN, 0), snap(TEN + HOUR, 3)], [], TEN, TEN + 3 * HOUR)

    assert [r["timestamp"] for r in diffs.rows] == [TEN]
    assert [hour for hour, _ in diffs.uncomputable] == [TEN + HOUR, TEN + 2 * HOUR]
    assert all("no counter snapshot" in reason for _, reason in diffs.uncomputable)
