from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from taxi_platform.defs.counters.items import CounterDataError
from taxi_platform.defs.counters.stats import (
    DiffIssue,
    HourlyDiffs,
    Reset,
    Snapshot,
    business_day_of,
    business_day_window,
    compare_totals,
    daily_row_problems,
    daily_zone_stats_row,
    hourly_zone_diffs,
    success_rate,
)
from taxi_platform_tests.counters.helpers import busy_day_row
from taxi_platform_tests.support import SEOUL


def at(hh: int, mm: int = 0, day: int = 25) -> datetime:
    return datetime(2025, 8, day, hh, mm, tzinfo=SEOUL)


def three_oclock(snapshots, resets=()) -> HourlyDiffs:
    """The diffs of the hour 03:00-04:00 on 2025-08-25, the business day's reset hour."""
    return hourly_zone_diffs(snapshots, at(3), at(4), resets)


# --- daily_zone_stats ---------------------------------------------------------------------


def test_seed_row():
    pickups = {"Upper East Side South": 201, "Midtown Center": 276, "Seaport": 1, "Inwood": 0}
    row = daily_zone_stats_row(date(2025, 8, 25), pickups, 8145, 2061)
    assert row == busy_day_row(date(2025, 8, 25))
    assert daily_row_problems(row) == []


def test_ties_go_to_the_alphabetically_first_zone_and_zeros_are_not_least():
    row = daily_zone_stats_row(date(2025, 8, 25), {"B": 5, "A": 5, "D": 2, "C": 2, "E": 0}, 9, 14)
    assert (row["most_pickup_zone"], row["most_pickup_count"]) == ("A", 5)
    assert (row["least_pickup_zone"], row["least_pickup_count"]) == ("C", 2)


@pytest.mark.parametrize("pickups", [{}, {"Seaport": 0, "Inwood": 0}])
def test_a_day_without_pickups_has_null_zones(pickups):
    row = daily_zone_stats_row(date(2025, 8, 25), pickups, 0, 0)
    assert row["most_pickup_zone"] is row["most_pickup_count"] is None
    assert row["least_pickup_zone"] is row["least_pickup_count"] is None
    assert (row["total_dispatch"], row["total_pickup"]) == (0, 0)
    assert row["dispatch_success_rate"] is None
    assert daily_row_problems(row) == []


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        daily_zone_stats_row(date(2025, 8, 25), {"Seaport": -1}, 10, 2)
    with pytest.raises(ValueError, match="negative"):
        daily_zone_stats_row(date(2025, 8, 25), {}, -10, 0)


@pytest.mark.parametrize(
    ("pickups", "dispatches", "rate"),
    [
        (2061, 8145, "0.253"),
        (1, 2000, "0.001"),  # exactly 0.0005: half-up
        (1, 2001, "0.000"),
        (1, 3, "0.333"),
        (2, 3, "0.667"),
        (0, 7, "0.000"),
        (5, 5, "1.000"),
    ],
)
def test_success_rate_rounds_half_up_to_three_decimals(pickups, dispatches, rate):
    assert success_rate(pickups, dispatches) == Decimal(rate)
    assert str(success_rate(pickups, dispatches)) == rate


def test_success_rate_is_null_without_dispatches():
    assert success_rate(0, 0) is None


# --- business day -------------------------------------------------------------------------


def test_business_day_window_is_3am_to_3am_seoul():
    start, end = business_day_window(date(2025, 8, 25))
    assert start == datetime(2025, 8, 24, 18, tzinfo=UTC)
    assert end == datetime(2025, 8, 25, 18, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=9)


def test_business_day_window_follows_the_wall_clock_across_dst():
    start, end = business_day_window(date(2025, 3, 8), tz="America/New_York")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    assert (start.hour, end.hour) == (3, 3)


@pytest.mark.parametrize(
    ("ts", "day"),
    [
        (at(2, 59, day=26), date(2025, 8, 25)),
        (at(3, 0, day=26), date(2025, 8, 26)),
        (at(3, 0), date(2025, 8, 25)),
        (datetime(2025, 8, 25, 17, 59, 59, tzinfo=UTC), date(2025, 8, 25)),  # 02:59:59 KST
        (datetime(2025, 8, 25, 18, 0, tzinfo=UTC), date(2025, 8, 26)),
    ],
)
def test_business_day_of(ts, day):
    assert business_day_of(ts) == day
    start, end = business_day_window(day)
    assert start <= ts < end


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="naive"):
        business_day_of(datetime(2025, 8, 25, 12))
    with pytest.raises(ValueError, match="naive"):
        hourly_zone_diffs([], datetime(2025, 8, 25, 3), datetime(2025, 8, 25, 4))


# --- zone_diff_stats ----------------------------------------------------------------------


def test_an_hour_with_a_reset_in_the_middle():
    """Hour 03:00–04:00. The daily job read Midtown Center at 03:19 (1040 dispatches,
    260 pickups); +3/+1 arrived before it subtracted exactly that at 03:20.
    Events by hand: 03:00→03:10 +20/+5, 03:10→03:19 +10/+3, 03:19→03:20 +3/+1,
    03:20→03:25 +5/+2, 03:25→04:00 +30/+7: 68 dispatches, 18 pickups."""
    snapshots = [
        Snapshot(at(2, 55), "Midtown Center", 1000, 250),
        Snapshot(at(3, 0), "Midtown Center", 1010, 252),
        Snapshot(at(3, 10), "Midtown Center", 1030, 257),
        Snapshot(at(3, 25), "Midtown Center", 8, 3),
        Snapshot(at(4, 0), "Midtown Center", 38, 10),
        Snapshot(at(4, 5), "Midtown Center", 45, 12),
        # Seaport: 5/1 at 03:00, all subtracted at 03:20, then 2 dispatches.
        {"captured_at": at(3, 0), "zone_id": "Seaport", "dispatch_count": 5, "pickup_count": 1},
        (at(3, 25), "Seaport", 0, 0),
        (at(4, 0), "Seaport", 2, 0),
        # Inwood: no item at the 03:00 scan, created during the hour.
        (at(3, 25), "Inwood", 4, 1),
        (at(4, 0), "Inwood", 6, 2),
        # Astoria: drops by 30 with no ledger entry.
        (at(3, 0), "Astoria", 50, 10),
        (at(3, 25), "Astoria", 20, 5),
        (at(4, 0), "Astoria", 25, 6),
    ]
    resets = [
        Reset(at(3, 20), "Midtown Center", 1040, 260),
        {
            "reset_at": at(3, 20),
            "zone_id": "Seaport",
            "dispatch_subtracted": 5,
            "pickup_subtracted": 1,
            "batch": "ignored",
        },
        Reset(at(3, 0, day=24), "Midtown Center", 900, 200),  # yesterday's: outside the hour
    ]
    result = three_oclock(snapshots, resets)
    assert result.rows == [
        {"timestamp": at(3), "zone_id": "Inwood", "dispatch_count": 6, "pickup_count": 2,
         "dispatch_minus_pickup": 4},
        {"timestamp": at(3), "zone_id": "Midtown Center", "dispatch_count": 68,
         "pickup_count": 18, "dispatch_minus_pickup": 50},
        {"timestamp": at(3), "zone_id": "Seaport", "dispatch_count": 2, "pickup_count": 0,
         "dispatch_minus_pickup": 2},
    ]  # fmt: skip
    assert [(i.zone_id, i.kind) for i in result.issues] == [("Astoria", "anomaly")]
    assert "dispatch -30, pickup -5" in result.issues[0].detail
    assert result.covered_until == at(4)


def test_a_snapshot_at_reset_time_has_seen_the_reset():
    snapshots = [
        Snapshot(at(3, 0), "Seaport", 100, 20),
        Snapshot(at(3, 20), "Seaport", 0, 0),
        Snapshot(at(4, 0), "Seaport", 5, 1),
    ]
    result = three_oclock(snapshots, [Reset(at(3, 20), "Seaport", 100, 20)])
    assert (result.rows[0]["dispatch_count"], result.rows[0]["pickup_count"]) == (5, 1)


def test_a_drop_cannot_hide_behind_a_later_rise():
    snapshots = [
        Snapshot(at(3, 0), "Seaport", 50, 5),
        Snapshot(at(3, 10), "Seaport", 20, 5),
        Snapshot(at(4, 0), "Seaport", 80, 9),
    ]
    result = three_oclock(snapshots)
    assert result.rows == []
    assert result.issues[0].kind == "anomaly"


def test_without_any_earlier_scan_the_first_snapshot_is_the_baseline_with_a_warning():
    snapshots = [Snapshot(at(3, 5), "Seaport", 10, 2), Snapshot(at(4, 0), "Seaport", 25, 6)]
    result = three_oclock(snapshots)
    assert (result.rows[0]["dispatch_count"], result.rows[0]["pickup_count"]) == (15, 4)
    assert result.issues == (
        DiffIssue(
            "Seaport",
            "no_baseline",
            "no snapshot at or before 2025-08-25T03:00:00+09:00: increments before "
            "2025-08-25T03:05:00+09:00 are not counted",
        ),
    )


def test_a_zone_missing_from_the_hours_scans_is_an_anomaly_and_idle_zones_get_zeros():
    seaport_then_gone = Snapshot(at(3, 0), "Seaport", 10, 2)
    idle_inwood = [Snapshot(at(3, 0), "Inwood", 7, 1), Snapshot(at(4, 0), "Inwood", 7, 1)]
    result = three_oclock([seaport_then_gone, *idle_inwood])
    assert result.rows == [
        {"timestamp": at(3), "zone_id": "Inwood", "dispatch_count": 0, "pickup_count": 0,
         "dispatch_minus_pickup": 0},
    ]  # fmt: skip
    assert [(i.zone_id, i.kind) for i in result.issues] == [("Seaport", "anomaly")]


def test_an_hour_without_snapshots_cannot_be_computed():
    with pytest.raises(CounterDataError, match="collector did not run"):
        hourly_zone_diffs([Snapshot(at(3, 0), "Seaport", 10, 2)], at(3), at(4))


def test_consecutive_hours_add_up_to_the_two_hour_window():
    snapshots = [
        Snapshot(at(h, m), "Seaport", 7 * (h * 60 + m) - 1200, 2 * (h * 60 + m) - 300)
        for h in (3, 4)
        for m in range(0, 60, 5)
    ] + [Snapshot(at(5), "Seaport", 7 * 300 - 1200, 2 * 300 - 300)]
    hours = [hourly_zone_diffs(snapshots, at(h), at(h + 1)).rows[0] for h in (3, 4)]
    both = hourly_zone_diffs(snapshots, at(3), at(5)).rows[0]
    assert [r["dispatch_count"] for r in hours] == [420, 420]
    assert both["dispatch_count"] == sum(r["dispatch_count"] for r in hours) == 840
    assert both["pickup_count"] == sum(r["pickup_count"] for r in hours) == 240


# --- checks -------------------------------------------------------------------------------


def test_compare_totals():
    comparison = compare_totals({"Seaport": 3, "Inwood": 4}, 8)
    assert (comparison.zone_sum, comparison.difference) == (7, 1)
    assert not comparison.agrees()
    assert comparison.agrees(tolerance=1)


def test_daily_row_problems_catch_impossible_rates():
    more_pickups = daily_zone_stats_row(date(2025, 8, 25), {"Seaport": 11}, 10, 11)
    assert daily_row_problems(more_pickups) == ["rate 1.100 outside [0, 1]"]
    null_rate = {**more_pickups, "dispatch_success_rate": None}
    assert daily_row_problems(null_rate) == ["rate None with 10 dispatches"]
    inverted = {**more_pickups, "least_pickup_count": 12, "dispatch_success_rate": Decimal(1)}
    assert daily_row_problems(inverted) == ["most_pickup_count 11 < least_pickup_count 12"]
