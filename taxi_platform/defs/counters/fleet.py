"""Raw `taxi-destination-dynamodb` items → validated taxi assignments (live panels).

A taxi without `destination_zone` is unassigned: that is what the live alert warns about,
so an item whose destination cannot be read must not pass as unassigned (nor as assigned to
some zone). Such items are reported as `Problem`s, like bad counter items (`items.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taxi_platform.defs.counters.items import DESTINATION_TABLE, TAXI_KEY, Problem

DESTINATION = "destination_zone"


@dataclass(frozen=True)
class Taxi:
    taxi_id: str
    status: str | None
    destination_zone: str | None  # None: unassigned
    updated_at: datetime | None


@dataclass(frozen=True)
class ParsedFleet:
    taxis: tuple[Taxi, ...]
    problems: tuple[Problem, ...]

    @property
    def unassigned(self) -> tuple[Taxi, ...]:
        return tuple(t for t in self.taxis if t.destination_zone is None)


def parse_fleet(
    items: Iterable[Mapping[str, Any]],
    *,
    table: str = DESTINATION_TABLE,
    valid_zones: Collection[str] | None = None,
) -> ParsedFleet:
    """Deserialized items → taxis sorted by id, and the problems found.

    Left out (reported): an item without a string `taxi_id`, or whose `destination_zone` is
    present but not a non-empty string. Kept but reported: a destination outside
    `valid_zones` (the taxi *is* assigned, to a zone the map does not know) and an
    `updated_at` that is not ISO 8601 (kept as NULL).
    """
    taxis: list[Taxi] = []
    problems: list[Problem] = []
    for item in items:
        taxi_id = item.get(TAXI_KEY)
        if not isinstance(taxi_id, str) or not taxi_id:
            problems.append(Problem(table, None, f"{TAXI_KEY!r} is not a string: {taxi_id!r}"))
            continue
        destination = item.get(DESTINATION)
        if destination is not None and (not isinstance(destination, str) or not destination):
            problems.append(Problem(table, taxi_id, f"{DESTINATION!r} unreadable: {destination!r}"))
            continue
        if destination is not None and valid_zones is not None and destination not in valid_zones:
            problems.append(Problem(table, taxi_id, f"unknown destination zone {destination!r}"))
        taxis.append(
            Taxi(taxi_id, _text(item.get("status")), destination, _time(item, table, problems))
        )
    return ParsedFleet(tuple(sorted(taxis, key=lambda t: t.taxi_id)), tuple(problems))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _time(item: Mapping[str, Any], table: str, problems: list[Problem]) -> datetime | None:
    value = item.get("updated_at")
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
        if parsed.utcoffset() is None:
            raise ValueError("no UTC offset")
    except ValueError as exc:
        problems.append(Problem(table, item[TAXI_KEY], f"updated_at {value!r} unreadable: {exc}"))
        return None
    return parsed
