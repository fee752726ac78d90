"""Traffic simulator of the dispatch API server: the writer of the DynamoDB counters.

The platform never writes these tables in production, so locally something must, and it
must look like the real thing for the stats to mean anything: demand concentrated in
Manhattan's yellow zones and the airports, a week's rhythm on the business time zone's clock
(`rhythm.DISPATCH_RHYTHM`: quiet nights, commuter peaks on weekdays, later weekends), about
one pickup per four dispatches (2061 / 8145 on the old stats script's day), totals equal to
the per-zone sums.
Every simulated minute draws from its own generator seeded by (seed, minute), so a run is
reproducible whatever the speed or batch size. The pure model (`TrafficModel`) is separate
from the thin boto3 writers and the CLI.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import numpy as np

from taxi_platform.defs.counters.items import (
    COUNT,
    DEFAULT_TABLES,
    DESTINATION_TABLE,
    FLAG_KEY,
    FLAG_TYPES,
    TAXI_KEY,
    ZONE_KEY,
    CounterTables,
)
from taxi_platform.threads import each_in_threads
from taxi_platform_dev.domains.rhythm import DISPATCH_RHYTHM, DailyRhythm

EXCLUDED_LOCATION_IDS = frozenset({264, 265})  # "Unknown" / "Outside of NYC": not places

DEFAULT_RATE = 8145 / 1440  # dispatches per simulated minute: the old stats script's day
DEFAULT_SUCCESS_RATE = 0.25
ASSIGNMENT_EVERY_MINUTES = 5
WRITERS = 8  # updates in flight at once; botocore's default pool holds 10 connections
MINUTE = timedelta(minutes=1)

# (median weight, log-normal spread) per TLC service zone: yellow zones and airports carry the
# traffic; the wide spread of the boro zones leaves many of them near zero, as in TLC data,
# and the cap keeps an outlier among them from outgrowing the busy Manhattan zones.
DEMAND_BY_SERVICE_ZONE = {
    "Yellow Zone": (10.0, 0.6),
    "Airports": (15.0, 0.2),
    "EWR": (6.0, 0.2),
    "Boro Zone": (0.25, 1.5),
}
_BORO = DEMAND_BY_SERVICE_ZONE["Boro Zone"]
SPREAD_CAP = 12.0
SUCCESS_SPREAD = 0.3  # log-normal spread of the per-zone success probability

_TABLE_VARIABLES = {
    "pickup": "TAXI_PICKUP_TABLE",
    "zone_dispatch": "TAXI_ZONE_DISPATCH_TABLE",
    "flag": "TAXI_FLAG_TABLE",
    "destination": "TAXI_DESTINATION_TABLE",
}


class ZoneRow(NamedTuple):
    location_id: int
    borough: str
    zone: str
    service_zone: str


def load_zone_rows(path: str | Path) -> list[ZoneRow]:
    """The TLC zone table (`taxi_zone_lookup.csv`) without its two non-places."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [
            ZoneRow(int(r["LocationID"]), r["Borough"], r["Zone"], r["service_zone"])
            for r in csv.DictReader(f)
        ]
    return [r for r in rows if r.location_id not in EXCLUDED_LOCATION_IDS]


def load_zone_names(path: str | Path) -> frozenset[str]:
    """Valid counter keys: the counters are keyed by zone *name* (some names cover two IDs)."""
    return frozenset(r.zone for r in load_zone_rows(path))


class TrafficModel:
    """Deterministic dispatch/pickup traffic over TLC zones.

    `rate` is the mean number of dispatches per simulated minute over a whole week (`rhythm`
    moves it up and down around that mean, on the clock of `rhythm.tz`); `success_rate` is
    the expected share of dispatches that end in a pickup, varied per zone but exact on the
    demand-weighted average.
    """

    def __init__(
        self,
        zones: Iterable[ZoneRow | Sequence[Any]],
        seed: int = 0,
        *,
        rate: float = DEFAULT_RATE,
        success_rate: float = DEFAULT_SUCCESS_RATE,
        rhythm: DailyRhythm = DISPATCH_RHYTHM,
    ) -> None:
        by_name: dict[str, ZoneRow] = {}
        for row in map(ZoneRow._make, zones):
            by_name.setdefault(row.zone, row)
        if not by_name:
            raise ValueError("no zones to simulate")
        if rate < 0 or not 0 <= success_rate <= 1:
            raise ValueError(f"need rate ≥ 0 and 0 ≤ success_rate ≤ 1, got {rate}, {success_rate}")
        self.seed = seed
        self.rate = rate
        self.rhythm = rhythm
        self.zones = sorted(by_name)
        rng = np.random.default_rng([seed])
        median, spread = np.array(
            [DEMAND_BY_SERVICE_ZONE.get(by_name[z].service_zone, _BORO) for z in self.zones]
        ).T
        weight = median * np.minimum(rng.lognormal(0.0, spread), SPREAD_CAP)
        self.demand_share = weight / weight.sum()
        success = rng.lognormal(0.0, SUCCESS_SPREAD, len(self.zones))
        self.success = np.minimum(success * success_rate / (success @ self.demand_share), 1.0)

    def increments(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """`[{"zone", "dispatch", "pickup"}]` for the simulated minutes in [start, end), zones
        without a dispatch left out, sorted by zone; pickup ≤ dispatch in every entry."""
        dispatch = np.zeros(len(self.zones), dtype=np.int64)
        pickup = np.zeros(len(self.zones), dtype=np.int64)
        for minute in _minutes(start, end):
            rng = self._rng(minute, stream=0)
            d = rng.poisson(self.rate * self.rhythm.factor(minute) * self.demand_share)
            dispatch += d
            pickup += rng.binomial(d, self.success)
        return [
            {"zone": zone, "dispatch": int(d), "pickup": int(p)}
            for zone, d, p in zip(self.zones, dispatch, pickup, strict=True)
            if d
        ]

    def assignments(
        self, at: datetime, taxis: int = 50, unassigned_share: float = 0.05
    ) -> list[dict[str, str]]:
        """Fleet state at minute `at` for `taxi-destination-dynamodb`: destinations follow
        demand; an unassigned taxi has no `destination_zone` at all (the live
        alert warns about it)."""
        minute = _whole_minute(at)
        rng = self._rng(minute, stream=1)
        unassigned = rng.random(taxis) < unassigned_share
        destinations = rng.choice(len(self.zones), size=taxis, p=self.demand_share)
        updated_at = minute.astimezone(UTC).isoformat()
        fleet = []
        for i, (idle, dest) in enumerate(zip(unassigned, destinations, strict=True)):
            taxi = {TAXI_KEY: f"taxi-{i + 1:04d}", "updated_at": updated_at}
            if idle:
                taxi["status"] = "unassigned"
            else:
                taxi |= {"status": "assigned", "destination_zone": self.zones[dest]}
            fleet.append(taxi)
        return fleet

    def _rng(self, minute: datetime, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(minute.timestamp()) // 60, stream])


def _whole_minute(ts: datetime) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts.isoformat()}: give a time zone")
    if ts.second or ts.microsecond:
        raise ValueError(f"{ts.isoformat()} is not a whole minute: traffic is drawn per minute")
    return ts


def _minutes(start: datetime, end: datetime) -> Iterable[datetime]:
    minute, end = _whole_minute(start), _whole_minute(end)
    while minute < end:
        yield minute
        minute += MINUTE


# --- DynamoDB writers (boto3 client) ------------------------------------------------------


def add_count(client: Any, table: str, key_attribute: str, key: str, amount: int) -> None:
    """Atomic `ADD count :n`: concurrent writers and the platform's `ADD count -n` reset never
    lose an increment. `count` is a reserved word, hence the attribute name placeholder."""
    client.update_item(
        TableName=table,
        Key={key_attribute: {"S": key}},
        UpdateExpression="ADD #c :n",
        ExpressionAttributeNames={"#c": COUNT},
        ExpressionAttributeValues={":n": {"N": str(int(amount))}},
    )


def apply_increments(
    client: Any,
    batch: Iterable[dict[str, Any]],
    tables: CounterTables = DEFAULT_TABLES,
    every_zone: Iterable[str] = (),
) -> int:
    """Write a batch like the dispatch server: per-zone counters first, then the two totals by
    exactly the batch's sums. Zone items appear on their first increment, as in production;
    both flag items are always touched (`ADD 0` creates them) so the totals exist from the
    first batch on. The zones of `every_zone` get both their items written even without
    traffic (`ADD 0`, as the daily reset leaves them), in the same step: one write per item.
    The updates of each step are `WRITERS` at a time, as the server's request handlers write
    them. Returns the number of UpdateItem calls."""
    batch = list(batch)
    touched = set(every_zone)
    quiet = sorted(touched - {entry["zone"] for entry in batch})
    zones = [
        (table, ZONE_KEY, entry["zone"], n)
        for entry in [*batch, *({"zone": zone, "dispatch": 0, "pickup": 0} for zone in quiet)]
        for table, n in (
            (tables.zone_dispatch, entry["dispatch"]),
            (tables.pickup, entry["pickup"]),
        )
        if n or entry["zone"] in touched
    ]
    totals = [(tables.flag, FLAG_KEY, t, sum(e[t] for e in batch)) for t in FLAG_TYPES]
    for updates in (zones, totals):
        in_parallel(lambda update: add_count(client, *update), updates)
    return len(zones) + len(totals)


def put_assignments(
    client: Any, fleet: Iterable[dict[str, str]], table: str = DESTINATION_TABLE
) -> int:
    """Replace each taxi's item (a PutItem drops a stale `destination_zone`); returns count."""
    items = [{k: {"S": v} for k, v in taxi.items()} for taxi in fleet]
    in_parallel(lambda item: client.put_item(TableName=table, Item=item), items)
    return len(items)


def in_parallel(write: Callable[[Any], object], items: Sequence[Any]) -> None:
    """`write` each item, `WRITERS` at a time (boto3 clients are thread-safe): a write's time
    is the round trip, not CPU. All are attempted; the first failure is raised after."""
    each_in_threads(write, items, WRITERS)


# --- the running simulator and its CLI ----------------------------------------------------


def run_simulation(
    model: TrafficModel,
    client: Any,
    tables: CounterTables,
    *,
    start: datetime,
    minutes: int | None,
    speed: float = 1.0,
    taxis: int = 50,
    unassigned_share: float = 0.05,
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[int, int]:
    """Write one simulated minute per 60/`speed` real seconds (forever when `minutes` is
    None); the fleet is rewritten every few simulated minutes. Returns (dispatches, pickups)."""
    if speed <= 0:
        raise ValueError(f"speed must be > 0, got {speed}")
    began = clock()
    done = dispatches = pickups = 0
    minute = start
    while minutes is None or done < minutes:
        batch = model.increments(minute, minute + MINUTE)
        apply_increments(client, batch, tables)
        if taxis and done % ASSIGNMENT_EVERY_MINUTES == 0:
            put_assignments(
                client, model.assignments(minute, taxis, unassigned_share), tables.destination
            )
        d, p = sum(e["dispatch"] for e in batch), sum(e["pickup"] for e in batch)
        dispatches, pickups, done = dispatches + d, pickups + p, done + 1
        out(
            f"{minute.isoformat()}  +{d} dispatches +{p} pickups in {len(batch)} zones  "
            f"(run total {dispatches}/{pickups})"
        )
        minute += MINUTE
        delay = began + done * 60 / speed - clock()
        if delay > 0 and (minutes is None or done < minutes):
            sleep(delay)
    return dispatches, pickups


def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `counters` (mounted by the main CLI as `taxi-platform simulate counters`);
    the parser's `func(args)` runs it and returns the exit code."""
    parser = subparsers.add_parser(
        "counters",
        help="simulate the dispatch API server writing the DynamoDB counters",
        description="Write simulated dispatch/pickup increments and taxi assignments to the "
        "DynamoDB tables (AWS_REGION, AWS_ENDPOINT_URL[_DYNAMODB], TAXI_*_TABLE).",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"mean dispatches per simulated minute over a week (default {DEFAULT_RATE:.2f})",
    )
    parser.add_argument(
        "--success-rate", type=float, default=DEFAULT_SUCCESS_RATE, help="pickups / dispatches"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated minutes per real minute (default 1)"
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument(
        "--minutes", "--duration", type=int, help="simulated minutes to run (default: until Ctrl+C)"
    )
    length.add_argument("--once", action="store_true", help="write one simulated minute and exit")
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="simulated start, ISO 8601 with offset, whole minute (default: now)",
    )
    parser.add_argument("--taxis", type=int, default=50, help="fleet size; 0 = no assignments")
    parser.add_argument("--unassigned-share", type=float, default=0.05)
    parser.add_argument(
        "--zones",
        type=Path,
        help="TLC zone table CSV (default: the copy shipped in taxi_platform/data)",
    )
    parser.set_defaults(func=_main)
    return parser


def _main(args: argparse.Namespace) -> int:
    from taxi_platform.settings import timezone, zones_csv_default  # imports Dagster: here only

    model = TrafficModel(
        load_zone_rows(args.zones or zones_csv_default()),
        args.seed,
        rate=args.rate,
        success_rate=args.success_rate,
        rhythm=DISPATCH_RHYTHM.in_zone(timezone()),
    )
    tables = CounterTables(
        **{field: os.environ[var] for field, var in _TABLE_VARIABLES.items() if os.environ.get(var)}
    )
    client = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION") or None)
    start = args.start or datetime.now(UTC).replace(second=0, microsecond=0)
    print(f"simulating counters at {client.meta.endpoint_url} into {tables}", flush=True)
    try:
        dispatches, pickups = run_simulation(
            model,
            client,
            tables,
            start=start,
            minutes=1 if args.once else args.minutes,
            speed=args.speed,
            taxis=args.taxis,
            unassigned_share=args.unassigned_share,
            out=lambda line: print(line, flush=True),
        )
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    print(f"done: {dispatches} dispatches, {pickups} pickups", flush=True)
    return 0


if __name__ == "__main__":
    from taxi_platform_dev.domains import simulator_main

    raise SystemExit(simulator_main(add_cli))
