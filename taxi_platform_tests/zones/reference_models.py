"""An independent pandas computation of the zone models' definitions, written for the tests.

Deliberately shares no code with the models' SQL (`taxi_platform/defs/zones/sql/`): it is
the issue's definitions read again — sequential validity filters (each row counted under
the first it fails), pickups per (zone, hour) divided by the calendar days of the window,
and per pickup zone the other zones whose mean travel time is under the threshold
(compared exactly, in integers: Σ duration < threshold × count).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa


@dataclass
class ReferenceModels:
    dropped: dict[str, int]
    valid_rows: int
    expected: pd.DataFrame  # sorted by (pickup_zone_id, pickup_hour)
    adjacency: dict[int, list[int]]


def _trips(tables: dict[str, pa.Table]) -> pd.DataFrame:
    frames = []
    for month, table in tables.items():
        frame = table.select(
            [
                "tpep_pickup_datetime",
                "tpep_dropoff_datetime",
                "PULocationID",
                "DOLocationID",
                "total_amount",
            ]
        ).to_pandas()
        frame["start"] = pd.Timestamp(f"{month}-01")
        frame["end"] = frame["start"] + pd.offsets.MonthBegin(1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def reference_models(
    tables: dict[str, pa.Table], adjacency_minutes: float = 5.0, max_trip_minutes: float = 180.0
) -> ReferenceModels:
    trips = _trips(tables)
    pickup, dropoff = trips["tpep_pickup_datetime"], trips["tpep_dropoff_datetime"]
    seconds = (dropoff - pickup).dt.total_seconds()
    conditions = {
        "pickup_outside_month": (pickup >= trips["start"]) & (pickup < trips["end"]),
        "dropoff_not_after_pickup": dropoff > pickup,
        "duration_over_max": seconds <= max_trip_minutes * 60,
        "non_positive_total_amount": trips["total_amount"] > 0,
        "invalid_zone_id": trips["PULocationID"].between(1, 263)
        & trips["DOLocationID"].between(1, 263),
    }
    keep = pd.Series(True, index=trips.index)
    dropped = {}
    for name, ok in conditions.items():
        dropped[name] = int((keep & ~ok).sum())
        keep &= ok
    valid = trips[keep].assign(
        zone=lambda f: f["PULocationID"].astype(int),
        to_zone=lambda f: f["DOLocationID"].astype(int),
        hour=lambda f: f["tpep_pickup_datetime"].dt.hour,
        micros=lambda f: (
            (f["tpep_dropoff_datetime"] - f["tpep_pickup_datetime"]) // pd.Timedelta(microseconds=1)
        ),
    )
    days = sum(calendar.monthrange(*map(int, month.split("-")))[1] for month in tables)
    per_hour = valid.groupby(["zone", "hour"]).size()
    rows = [
        (zone, hour, per_hour.get((zone, hour), 0))
        for zone in sorted(valid["zone"].unique())
        for hour in range(24)
    ]
    expected = pd.DataFrame(rows, columns=["pickup_zone_id", "pickup_hour", "total_pickups"])
    expected["expected_pickups"] = expected["total_pickups"] / days
    expected["days_in_window"] = days
    moves = valid[valid["zone"] != valid["to_zone"]].groupby(["zone", "to_zone"])["micros"]
    pairs = moves.agg(["sum", "count"]).reset_index()
    limit = int(adjacency_minutes * 60_000_000)
    near = pairs[pairs["sum"] < limit * pairs["count"]]
    adjacency = {int(z): sorted(map(int, g["to_zone"])) for z, g in near.groupby("zone")}
    return ReferenceModels(dropped, int(keep.sum()), expected, adjacency)
