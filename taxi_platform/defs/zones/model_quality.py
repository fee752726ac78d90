"""What the zone models' asset checks test, as functions of the published tables' rows.

Why pure: the checks read PostgreSQL (I/O in the check), the rules live here, and tests
feed them broken frames directly, including breakage the tables' constraints would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

HOURS = frozenset(range(24))


def zones_missing_hours(expected: pd.DataFrame) -> list[int]:
    """Zones whose rows are not exactly the hours 0–23 once each."""
    hours = expected.groupby("pickup_zone_id")["pickup_hour"].agg(list)
    return sorted(int(zone) for zone, got in hours.items() if len(got) != 24 or set(got) != HOURS)


def negative_expectations(expected: pd.DataFrame) -> int:
    """Rows whose expected_pickups is negative or missing."""
    values = expected["expected_pickups"]
    return int((values.isna() | (values < 0)).sum())


def adjacency_problems(adjacency: pd.DataFrame, valid_ids: Iterable[int]) -> dict[str, list[int]]:
    """Zones (by zone_id) whose row breaks a rule: the zone or a neighbour is not a valid
    zone, the zone lists itself, a neighbour repeats, or the list is empty."""
    valid = set(valid_ids)
    problems: dict[str, list[int]] = {
        "unknown_zone": [],
        "unknown_neighbour": [],
        "self_adjacent": [],
        "repeated_neighbour": [],
        "empty": [],
    }
    for zone, neighbours in zip(adjacency["zone_id"], adjacency["adjacent_zone_ids"], strict=True):
        listed = list(neighbours)
        for rule, broken in (
            ("unknown_zone", zone not in valid),
            ("unknown_neighbour", not set(listed) <= valid),
            ("self_adjacent", zone in listed),
            ("repeated_neighbour", len(set(listed)) != len(listed)),
            ("empty", not listed),
        ):
            if broken:
                problems[rule].append(int(zone))
    return problems
