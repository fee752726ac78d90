"""The hour window around `hourly_zone_diffs`: boundary snapshots that start late, gaps."""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from taxi_platform.defs.counters.hourly import GRACE, LATE_BOUNDARY, diff_window
from taxi_platform.defs.counters.items import CounterDataError
from taxi_platform.defs.counters.stats import Reset, Snapshot, hourly_zone_diffs
from taxi_platform_tests.support import SEOUL

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


ZONES = ("Seaport", "Union Sq", "JFK Airport")
minutes = st.integers(min_value=-150, max_value=5 * 60)
snapshots_strategy = st.lists(
    st.tuples(minutes, st.sampled_from(ZONES), st.integers(0, 60), st.integers(0, 30)),
    max_size=60,
)
resets_strategy = st.lists(
    st.tuples(minutes, st.sampled_from(ZONES), st.integers(0, 40), st.integers(0, 20)),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(snapshots_strategy, resets_strategy)
def test_each_hour_of_a_window_equals_that_hour_computed_from_everything(raw, raw_resets):
    """The window hands each hour only the snapshots and resets it can use; the reference is
    `hourly_zone_diffs` of the hour over every snapshot and reset (arbitrary, even
    inconsistent counts, so that the anomaly and baseline paths are compared too)."""
    snapshots = [Snapshot(TEN + timedelta(minutes=m), z, d, p) for m, z, d, p in raw]
    resets = [Reset(TEN + timedelta(minutes=m, seconds=30), z, d, p) for m, z, d, p in raw_resets]
    hours = [TEN + i * HOUR for i in range(4)]

    window = diff_window(snapshots, resets, hours[0], hours[-1] + HOUR)

    for hour in hours:
        got_rows = [r for r in window.rows if r["timestamp"] == hour]
        got_issues = [
            (i["zone_id"], i["kind"], i["detail"])
            for i in window.issues
            if i["timestamp"] == hour and i["kind"] != LATE_BOUNDARY
        ]
        try:
            expected = hourly_zone_diffs(snapshots, hour + GRACE, hour + HOUR + GRACE, resets)
        except CounterDataError as exc:
            assert (hour, str(exc)) in window.uncomputable
            assert got_rows == [] and got_issues == []
            continue
        assert got_rows == [{**row, "timestamp": hour} for row in expected.rows]
        assert got_issues == [(i.zone_id, i.kind, i.detail) for i in expected.issues]
