"""Reading the live DynamoDB tables through the resources: scans → validated values + problems.

Why one module: the snapshot, the daily close and the live view read the same tables the
same way, and all of them check zone names against the TLC zone table served by the
reference resource, never against a copy. Bad items never become zero: they are
left out and come back as `Problem`s for metadata and checks (`items.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from taxi_platform.defs.counters.fleet import ParsedFleet, parse_fleet
from taxi_platform.defs.counters.items import (
    ParsedCounts,
    Problem,
    parse_flag_counts,
    parse_zone_counts,
)
from taxi_platform.defs.zones.reference import parse_zone_table, zone_names
from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.resources.reference import ReferenceDataResource


@dataclass(frozen=True)
class ZoneCounters:
    """Accepted per-zone dispatch and pickup counts, and every problem of both tables."""

    dispatch: dict[str, int]
    pickup: dict[str, int]
    problems: tuple[Problem, ...]

    def rows(self, skip_unreadable: bool = True) -> list[tuple[str, int, int]]:
        """(zone, dispatches, pickups) for each zone with an item in either table, by name.

        A zone without an item in one table has 0 there: an item is created by the zone's
        first increment and never deleted (a reset subtracts). A zone with an unreadable
        item in either table (see `problems`) is left out, because a 0 in its place would
        read as a drop; `skip_unreadable=False` keeps its readable side, for the reset,
        which subtracts what it could read and leaves the bad item alone.
        """
        unreadable = {p.key for p in self.problems} if skip_unreadable else set()
        zones = sorted((set(self.dispatch) | set(self.pickup)) - unreadable)
        return [(z, self.dispatch.get(z, 0), self.pickup.get(z, 0)) for z in zones]


def valid_zone_names(reference: ReferenceDataResource) -> frozenset[str]:
    """The zone names a counter may use: every real TLC zone (`taxi_zones`)."""
    table = parse_zone_table(reference.fetch_zones(), source=reference.zones_location())
    return frozenset(zone_names(table))


def scan_counters(dynamodb: DynamoDBResource) -> dict[str, list[dict[str, Any]]]:
    """The three counter tables' items by table (consistent reads, all pages, scanned at
    once), for a reader that needs both the counts and something else of the same items."""
    return dynamodb.scan_many(
        [dynamodb.zone_dispatch_table, dynamodb.pickup_table, dynamodb.flag_table]
    )


def read_zone_counters(
    dynamodb: DynamoDBResource,
    valid_zones: Collection[str] | None,
    scans: Mapping[str, list[dict[str, Any]]] | None = None,
) -> ZoneCounters:
    """The per-zone dispatch and pickup tables: scanned (consistent reads, all pages, both at
    once) or taken from `scans` (`scan_counters`)."""
    tables = (dynamodb.zone_dispatch_table, dynamodb.pickup_table)
    scans = scans or dynamodb.scan_many(tables)
    dispatch, pickup = (_zone_table(t, scans[t], valid_zones) for t in tables)
    return ZoneCounters(dispatch.values, pickup.values, dispatch.problems + pickup.problems)


def read_totals(
    dynamodb: DynamoDBResource, scans: Mapping[str, list[dict[str, Any]]] | None = None
) -> ParsedCounts:
    """The two totals (scanned, or from `scans`); `CounterDataError` when either is missing
    or unreadable (never 0)."""
    table = dynamodb.flag_table
    return parse_flag_counts(scans[table] if scans else dynamodb.scan_all(table), table=table)


def read_fleet(dynamodb: DynamoDBResource, valid_zones: Collection[str] | None) -> ParsedFleet:
    table = dynamodb.destination_table
    return parse_fleet(dynamodb.scan_all(table), table=table, valid_zones=valid_zones)


def _zone_table(
    table: str, items: list[dict[str, Any]], valid_zones: Collection[str] | None
) -> ParsedCounts:
    parsed = parse_zone_counts(items, table=table, valid_zones=valid_zones)
    if items:
        return parsed
    empty = Problem(
        table, None, "table is empty: no zone has counted anything yet, or the table was wiped"
    )
    return ParsedCounts(table, parsed.values, (*parsed.problems, empty))
