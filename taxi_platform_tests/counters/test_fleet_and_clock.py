"""Pure helpers of the counters' assets: taxi assignments and the replay clock."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from taxi_platform.defs.counters.clock import Clock, CounterClockConfig
from taxi_platform.defs.counters.fleet import parse_fleet

NOW = "2025-08-25T00:05:00+00:00"


def test_fleet_unassigned_taxis_and_what_cannot_be_trusted():
    items = [
        {"taxi_id": "t2", "status": "unassigned", "updated_at": NOW},
        {"taxi_id": "t1", "status": "assigned", "destination_zone": "Seaport", "updated_at": NOW},
        {"taxi_id": "t3", "destination_zone": "Atlantis"},
        {"taxi_id": "t4", "destination_zone": 7},
        {"taxi_id": "t5", "updated_at": "yesterday"},
        {"status": "assigned"},
    ]

    fleet = parse_fleet(items, valid_zones={"Seaport"})

    assert [(t.taxi_id, t.destination_zone) for t in fleet.taxis] == [
        ("t1", "Seaport"),
        ("t2", None),
        ("t3", "Atlantis"),  # assigned, to an unknown zone: kept (it is not unassigned) + problem
        ("t5", None),
    ]
    assert fleet.taxis[0].updated_at == datetime(2025, 8, 25, 0, 5, tzinfo=UTC)
    assert [t.taxi_id for t in fleet.unassigned] == ["t2", "t5"]
    reasons = {p.key: p.reason for p in fleet.problems}
    assert set(reasons) == {"t3", "t4", "t5", None}
    assert "unknown destination zone" in reasons["t3"] and "unreadable" in reasons["t4"]


def test_the_replay_clock_starts_exactly_at_its_instant_and_then_follows_real_time():
    start = datetime(2025, 8, 25, 9, tzinfo=UTC)
    clock = CounterClockConfig(clock_at=start.isoformat()).clock()

    first = clock.now()
    time.sleep(0.05)
    second = clock.now()

    assert first == start
    assert timedelta(seconds=0.05) <= second - first < timedelta(seconds=5)


def test_the_default_clock_is_the_wall_clock_and_naive_instants_are_refused():
    assert abs(Clock().now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="no UTC offset"):
        CounterClockConfig(clock_at="2025-08-25T09:00:00").clock()
