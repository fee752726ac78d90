"""Generator of TLC Yellow Taxi trip files: `taxi-platform simulate trips --month … --rows …`.

Why generate: the zone models need months of trips locally and in tests, without the
public internet, and with known properties to test against. The files have the published
schema of their month (`trip_files.SCHEMAS`) and look like TLC's where the models look:
- demand: Manhattan's yellow zones and the airports carry most pickups; weekday and weekend
  hour-of-day curves;
- short hops: a share of trips goes to a *neighbour* zone in a few minutes, so adjacency
  (average travel time under 5 minutes) exists. Neighbours are synthetic: zones of one
  borough in LocationID order, each next to the two before and the two after it;
- dirt, in the kinds TLC files carry and the models' filters remove: refunds and zero
  amounts, dropoff before (or at) pickup, pickups outside the file's month, zone IDs 264/265
  or out of range, multi-day durations; plus TLC's block of rows with null passenger/rate/
  surcharge columns (payment type 0), which is not dirt.
Everything is vectorised numpy (a million rows in about a second) and deterministic: the
random stream is seeded by (seed, year, month).
"""

from __future__ import annotations

import argparse
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import BotoCoreError, ClientError

from taxi_platform.defs.zones.reference import UNKNOWN_LOCATION_IDS, parse_zone_table
from taxi_platform.defs.zones.trip_files import (
    check_month,
    days_in_month,
    month_bounds,
    schema_for_month,
    trip_key,
)
from taxi_platform.settings import SETTINGS, ConfigError, zones_csv_default

SECOND_US = 1_000_000
JFK, LAGUARDIA, NEWARK = 132, 138, 1
# Share of trips by pickup hour (any unit), weekday and weekend, after TLC's published
# trip counts: weekday morning and evening peaks; weekend nights stay busy.
WEEKDAY_HOURS = (
    *(2.2, 1.3, 0.8, 0.6, 0.7, 1.2, 2.6, 4.0, 4.8, 4.7, 4.6, 4.8),
    *(5.0, 5.1, 5.5, 5.7, 5.9, 6.5, 6.9, 6.4, 5.8, 5.6, 5.0, 3.7),
)
WEEKEND_HOURS = (
    *(4.6, 3.9, 3.0, 2.2, 1.4, 0.9, 1.0, 1.5, 2.3, 3.3, 4.2, 4.8),
    *(5.2, 5.4, 5.5, 5.5, 5.4, 5.5, 5.6, 5.3, 5.0, 4.9, 4.8, 4.6),
)
# Relative pickup weight per TLC service zone; per-zone log-normal spread on top.
SERVICE_ZONE_WEIGHT = {"Yellow Zone": 1.0, "Airports": 3.0, "Boro Zone": 0.04, "EWR": 0.002}
ZONE_SPREAD = 0.6
NEIGHBOURS = 2  # on each side, within the borough, in LocationID order
MAX_CLEAN_SECONDS = 3 * 3600 - 1  # clean trips stay inside the models' duration bound


@dataclass(frozen=True)
class DirtRates:
    """Shares of rows made invalid, one kind per row (the rest are clean)."""

    non_positive_amount: float = 0.004
    dropoff_not_after_pickup: float = 0.0015
    pickup_outside_month: float = 0.0015
    invalid_zone: float = 0.005
    absurd_duration: float = 0.001
    null_block: float = 0.02  # TLC's rows without passenger/rate/surcharge values: valid trips

    def kinds(self) -> np.ndarray:
        """Cumulative shares of kinds 1..5 (kind 0 = clean)."""
        return np.cumsum(
            [
                self.non_positive_amount,
                self.dropoff_not_after_pickup,
                self.pickup_outside_month,
                self.invalid_zone,
                self.absurd_duration,
            ]
        )


class TripModel:
    """Pickup/dropoff demand and neighbour structure over the TLC zones (264/265 excluded)."""

    def __init__(self, zones: pd.DataFrame, seed: int = 0) -> None:
        real = zones[~zones["location_id"].isin(UNKNOWN_LOCATION_IDS)].sort_values("location_id")
        self.ids = real["location_id"].to_numpy(np.int32)
        self.borough = pd.factorize(real["borough"])[0]
        self.manhattan = (real["borough"] == "Manhattan").to_numpy()
        self.airport = np.isin(self.ids, (JFK, LAGUARDIA, NEWARK))
        rng = np.random.default_rng([seed])
        base = real["service_zone"].map(SERVICE_ZONE_WEIGHT).fillna(0.04).to_numpy()
        weight = base * rng.lognormal(0.0, ZONE_SPREAD, len(base))
        self.pickup_share = weight / weight.sum()
        dropoff = weight * np.where(self.airport, 0.5, 1.0)  # fewer trips end at airports
        self.dropoff_share = dropoff / dropoff.sum()
        self.rank, self.neighbours = self._neighbours()

    def _neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """Each zone's rank within its borough and the indexes of its 2 × NEIGHBOURS neighbours
        (reflected at the ends of the borough's list, so edge zones repeat a neighbour; a
        borough of one zone is its own neighbour)."""
        rank = np.zeros(len(self.ids), dtype=np.int64)
        neighbours = np.zeros((len(self.ids), 2 * NEIGHBOURS), dtype=np.int64)
        offsets = [o for o in range(-NEIGHBOURS, NEIGHBOURS + 1) if o]
        for code in np.unique(self.borough):
            members = np.flatnonzero(self.borough == code)
            rank[members] = np.arange(len(members))
            for slot, offset in enumerate(offsets):
                position = np.arange(len(members)) + offset
                if len(members) > 1:
                    position = np.where(
                        (position < 0) | (position >= len(members)),
                        np.arange(len(members)) - offset,
                        position,
                    )
                neighbours[members, slot] = members[np.clip(position, 0, len(members) - 1)]
        return rank, neighbours

    def generate(
        self, month: str, rows: int, seed: int = 0, dirt: DirtRates | None = None
    ) -> pa.Table:
        """`rows` trips of `month` in the TLC schema of that month."""
        dirt = dirt or DirtRates()
        rng = np.random.default_rng([seed, *map(int, check_month(month).split("-"))])
        columns = self._clean(rng, month, rows)
        columns["null_block"] = rng.random(rows) < dirt.null_block
        _add_money(rng, columns, month)
        _add_dirt(rng, columns, month, dirt)
        order = np.argsort(columns["pickup_us"], kind="stable")
        return _to_table({k: v[order] for k, v in columns.items()}, month)

    def _clean(self, rng: np.random.Generator, month: str, n: int) -> dict[str, np.ndarray]:
        start, _ = month_bounds(month)
        day = rng.integers(0, days_in_month(month), n)
        weekend = (start.weekday() + day) % 7 >= 5
        u = rng.random(n)
        hour = np.where(weekend, _draw(WEEKEND_HOURS, u), _draw(WEEKDAY_HOURS, u))
        second = (day * 24 + hour) * 3600 + rng.integers(0, 3600, n)
        pickup_us = _epoch_us(start) + second * SECOND_US
        pu = rng.choice(len(self.ids), n, p=self.pickup_share)
        hop = rng.random(n) < 0.10
        neighbour = self.neighbours[pu, rng.integers(0, 2 * NEIGHBOURS, n)]
        drawn = rng.choice(len(self.ids), n, p=self.dropoff_share)
        do = np.where(hop, neighbour, drawn)
        km = self._distance_km(rng, pu, do, hop)
        kmh = np.select([(hour >= 7) & (hour < 19), hour < 6], [13.0, 30.0], 20.0)
        seconds = np.where(
            hop,
            rng.uniform(80, 280, n),
            60 + km / kmh * 3600 * rng.lognormal(0.0, 0.2, n),
        )
        return {
            "pickup_us": pickup_us,
            "dropoff_us": pickup_us
            + np.minimum(seconds, MAX_CLEAN_SECONDS).astype(np.int64) * SECOND_US,
            "hour": hour,
            "pu": self.ids[pu],
            "do": self.ids[do],
            "km": km,
            "manhattan": self.manhattan[pu] | self.manhattan[do],
        }

    def _distance_km(self, rng, pu, do, hop) -> np.ndarray:
        gap = np.abs(self.rank[pu] - self.rank[do])
        same_borough = self.borough[pu] == self.borough[do]
        regular = np.where(same_borough, 1.0 + 0.12 * np.minimum(gap, 40), 12.0)
        regular = regular * rng.lognormal(0.0, 0.35, len(pu))
        regular = np.where(self.airport[pu] | self.airport[do], np.maximum(regular, 15.0), regular)
        return np.where(hop, rng.uniform(0.4, 1.6, len(pu)), regular)


def _draw(profile: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(profile) / np.sum(profile)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(profile) - 1)


def _epoch_us(moment) -> int:
    """Naive New York wall time → microseconds as stored in TLC files (no time zone)."""
    return int(pd.Timestamp(moment).value // 1000)


def _add_money(rng: np.random.Generator, c: dict[str, np.ndarray], month: str) -> None:
    """Fares after TLC's rate card, roughly: $3 flag, $3.50/mile + time, JFK flat fare,
    rush/night extras, surcharges, card tips; total = the sum, as in the files."""
    n = len(c["pu"])
    minutes = (c["dropoff_us"] - c["pickup_us"]) / 60e6
    miles = c["km"] / 1.609
    jfk = (c["pu"] == JFK) | (c["do"] == JFK)
    flat = jfk & c["manhattan"] & (rng.random(n) < 0.8)
    fare = np.where(flat, 70.0, 3.0 + 3.5 * miles + 0.35 * minutes)
    payment = np.where(c["null_block"], 0, rng.choice([1, 2, 3, 4], n, p=[0.74, 0.23, 0.01, 0.02]))
    tip = np.where(payment == 1, fare * rng.uniform(0.1, 0.3, n), 0.0)
    tolls = np.where(rng.random(n) < np.where(c["km"] > 10, 0.3, 0.01), 6.94, 0.0)
    rush = (c["hour"] >= 16) & (c["hour"] < 20)
    extra = np.select([rush, (c["hour"] >= 20) | (c["hour"] < 6)], [2.5, 1.0], 0.0)
    c.update(
        {
            "vendor": np.where(rng.random(n) < 0.76, 2, 1),
            "passengers": rng.choice(7, n, p=[0.01, 0.72, 0.14, 0.04, 0.03, 0.04, 0.02]),
            "rate": np.where(flat, 2, np.where(c["do"] == NEWARK, 3, 1)),
            "payment": payment,
            "fare": np.round(fare, 2),
            "extra": extra,
            "mta_tax": np.full(n, 0.5),
            "tip": np.round(tip, 2),
            "tolls": tolls,
            "improvement": np.full(n, 1.0),
            # null in TLC's null block, so not part of its total either
            "congestion": np.where(c["manhattan"] & ~c["null_block"], 2.5, 0.0),
            "airport_fee": np.where(
                np.isin(c["pu"], (JFK, LAGUARDIA)) & ~c["null_block"], 1.75, 0.0
            ),
            "cbd": np.where(c["manhattan"], 0.75, 0.0) if month >= "2025-01" else np.zeros(n),
            "store_and_forward": rng.random(n) < 0.005,
        }
    )
    _total(c)


_PARTS = ("fare", "extra", "mta_tax", "tip", "tolls", "improvement", "congestion", "airport_fee")


def _total(c: dict[str, np.ndarray]) -> None:
    parts = [c[p] for p in _PARTS] + [c["cbd"]]
    c["total"] = np.round(np.sum(parts, axis=0), 2)


def _add_dirt(rng: np.random.Generator, c: dict[str, np.ndarray], month: str, dirt) -> None:
    """Turn a share of rows into exactly one kind of invalid row each (see `DirtRates`)."""
    n = len(c["pu"])
    kind = 1 + np.searchsorted(dirt.kinds(), rng.random(n), side="right")
    kind[kind > len(dirt.kinds())] = 0
    refund = (kind == 1) & (rng.random(n) < 0.5)
    for part in (*_PARTS, "cbd"):  # refunds negate every amount, the others zero them
        c[part] = np.where(refund, -c[part], np.where(kind == 1, 0.0, c[part]))
    _total(c)
    early = rng.integers(0, 1800, n) * SECOND_US
    c["dropoff_us"] = np.where(kind == 2, c["pickup_us"] - early, c["dropoff_us"])
    start, end = month_bounds(month)
    shift = np.where(
        rng.random(n) < 0.7,
        _epoch_us(start) - c["pickup_us"] - rng.integers(60, 3 * 86400, n) * SECOND_US,
        _epoch_us(end) - _epoch_us(start) + rng.integers(0, 86400, n) * SECOND_US,
    )
    for column in ("pickup_us", "dropoff_us"):
        c[column] = np.where(kind == 3, c[column] + shift, c[column])
    unknown = np.where(rng.random(n) < 0.8, rng.choice([264, 265], n), rng.choice([0, 266, 300], n))
    pickup_side = rng.random(n) < 0.5
    c["pu"] = np.where((kind == 4) & pickup_side, unknown, c["pu"])
    c["do"] = np.where((kind == 4) & ~pickup_side, unknown, c["do"])
    days = rng.uniform(1.0, 3.0, n) * 86400
    c["dropoff_us"] = np.where(
        kind == 5, c["pickup_us"] + (days * SECOND_US).astype(np.int64), c["dropoff_us"]
    )


def _to_table(c: dict[str, np.ndarray], month: str) -> pa.Table:
    """Columns → Arrow in the month's published schema (names, order, types, nulls)."""
    null = c["null_block"]
    values = [
        (c["vendor"], None),
        (c["pickup_us"], None),
        (c["dropoff_us"], None),
        (c["passengers"], null),
        (np.round(c["km"] / 1.609, 2), None),
        (c["rate"], null),
        (np.where(c["store_and_forward"], "Y", "N"), null),
        (c["pu"], None),
        (c["do"], None),
        (c["payment"], None),
        *((c[part], None) for part in _PARTS[:6]),
        (c["total"], None),
        (c["congestion"], null),
        (c["airport_fee"], null),
        (c["cbd"], None),
    ]
    _, schema = schema_for_month(month)
    arrays = [
        pa.array(data, type=field.type, mask=mask)
        for field, (data, mask) in zip(schema, values[: len(schema)], strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def generate_month(
    month: str, rows: int, seed: int = 0, zones_csv: str | Path | None = None
) -> pa.Table:
    """One generated month from the TLC zone table at `zones_csv` (default: the shipped copy)."""
    path = Path(zones_csv or zones_csv_default())
    if not path.exists():
        raise ConfigError(f"zone table {path} does not exist: pass --zones <taxi_zone_lookup.csv>")
    zones = parse_zone_table(path.read_bytes(), source=str(path))
    return TripModel(zones, seed).generate(month, rows, seed)


def upload_month(client, bucket: str, table: pa.Table, month: str) -> dict[str, object]:
    """Write one month's file to `raw/nyc_taxi/` (replacing it: a re-issued TLC file)."""
    body = parquet_bytes(table)
    response = client.put_object(Bucket=bucket, Key=trip_key(month), Body=body)
    return {"key": trip_key(month), "rows": table.num_rows, "bytes": len(body), **response}


def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `trips` (mounted by the main CLI as `taxi-platform simulate trips`)."""
    parser = subparsers.add_parser(
        "trips",
        help="write a generated month of TLC Yellow Taxi trips to the lake",
        description="Generate one month of trips in the TLC Yellow Taxi schema and write it to "
        "s3://$TAXI_LAKE_BUCKET/raw/nyc_taxi/yellow_tripdata_YYYY-MM.parquet "
        "(AWS_REGION, AWS_ENDPOINT_URL[_S3]) or to --out.",
    )
    parser.add_argument("--month", required=True, type=check_month, help="YYYY-MM")
    parser.add_argument("--rows", type=int, default=100_000, help="trips (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--zones",
        type=Path,
        help="TLC zone table CSV (default: the shipped copy)",
    )
    parser.add_argument("--out", type=Path, help="write the Parquet file here, not to the lake")
    parser.set_defaults(func=_main)
    return parser


def _main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    table = generate_month(args.month, args.rows, args.seed, args.zones)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, args.out)
        where = str(args.out)
    else:
        bucket = os.environ.get("TAXI_LAKE_BUCKET") or SETTINGS["TAXI_LAKE_BUCKET"].default
        client = boto3.client("s3", region_name=os.environ.get("AWS_REGION") or None)
        try:
            upload_month(client, bucket, table, args.month)
        except (BotoCoreError, ClientError) as exc:
            raise ConfigError(
                f"cannot write to s3://{bucket} at {client.meta.endpoint_url} ({exc}): start the "
                'local stack and load its settings: eval "$(taxi-platform stack env)"'
            ) from None
        where = f"s3://{bucket}/{trip_key(args.month)}"
    print(f"{table.num_rows} trips of {args.month} → {where} in {time.monotonic() - started:.1f}s")
    return 0
