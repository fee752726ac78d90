"""The zone models as one SQL model (`sql/`): which files, steps and parameters.

Pure: builds the `SqlModel` that an engine (`taxi_platform/resources/engine.py`) runs, and
reads the per-filter counts back. The definitions themselves are in the SQL files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from taxi_platform.defs.zones.trip_files import days_in_month, month_bounds
from taxi_platform.sql_models import FileInput, SqlModel

SQL_DIR = Path(__file__).parent / "sql"
FILTERS = (
    "pickup_outside_month",
    "dropoff_not_after_pickup",
    "duration_over_max",
    "non_positive_total_amount",
    "invalid_zone_id",
)
MODEL_TABLES = ("expected_pickups", "adjacent_zones")
FILTER_COUNTS = "filter_counts"


def zone_models_sql(
    inputs: Mapping[str, str], adjacency_minutes: float = 5.0, max_trip_minutes: float = 180.0
) -> SqlModel:
    """Both models over the TLC files `inputs` (month → s3:// URI or path), in month order."""
    months = sorted(inputs)
    files = []
    for month in months:
        start, end = month_bounds(month)
        files.append((inputs[month], {"month_start": start, "month_end": end}))
    return SqlModel(
        name="zone_models",
        folder=SQL_DIR,
        inputs=(FileInput("trips", "trips", tuple(files)),),
        steps=("classified", FILTER_COUNTS, "valid_trips", *MODEL_TABLES),
        outputs=(FILTER_COUNTS, *MODEL_TABLES),
        params={
            "days_in_window": sum(days_in_month(m) for m in months),
            "adjacency_minutes": float(adjacency_minutes),
            "max_trip_minutes": float(max_trip_minutes),
        },
    )


def filter_counts(table: pa.Table) -> dict[str, int]:
    """Trips per first failed filter and `valid` (every filter present, 0 when none)."""
    counts = {name: 0 for name in (*FILTERS, "valid")}
    reasons, trips = table.column("reason").to_pylist(), table.column("trips").to_pylist()
    counts.update(zip(reasons, trips, strict=True))
    return counts
