"""The zone models' SQL on DuckDB in this process (local files, no stack): per-filter counts
and both models against the independent pandas reference, and the definitions' edge cases."""

from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taxi_platform.defs.zones.model_sql import FILTERS, filter_counts, zone_models_sql
from taxi_platform.resources.engine import run_duckdb
from taxi_platform_tests.zones.reference_models import reference_models


def _run(tables: dict[str, pa.Table], folder, **options) -> dict[str, pa.Table]:
    paths = {}
    for month, table in tables.items():
        paths[month] = str(folder / f"{month}.parquet")
        pq.write_table(table, paths[month])
    with duckdb.connect() as connection:
        return run_duckdb(connection, zone_models_sql(paths, **options))


def _adjacency(table: pa.Table) -> dict[int, list[int]]:
    return {r["zone_id"]: r["adjacent_zone_ids"] for r in table.to_pylist()}


def test_filters_and_models_match_the_reference(model_tables, tmp_path):
    out = _run(model_tables, tmp_path)
    reference = reference_models(model_tables)
    counts = filter_counts(out["filter_counts"])
    assert counts == {**reference.dropped, "valid": reference.valid_rows}
    assert all(counts[name] > 0 for name in FILTERS)  # every kind of dirt is there
    expected = out["expected_pickups"].to_pandas()
    expected = expected.sort_values(["pickup_zone_id", "pickup_hour"], ignore_index=True)
    want = reference.expected[expected.columns]
    assert expected.astype(want.dtypes).equals(want)
    assert _adjacency(out["adjacent_zones"]) == reference.adjacency
    wider = reference_models(model_tables, adjacency_minutes=8.0)
    eight = _run(model_tables, tmp_path, adjacency_minutes=8.0)["adjacent_zones"]
    assert _adjacency(eight) == wider.adjacency != reference.adjacency


def _crafted(rows: list[tuple]) -> pa.Table:
    """Minimal TLC-shaped rows: (pickup, minutes, PU, DO, total_amount)."""
    pickup = [r[0] for r in rows]
    return pa.table(
        {
            "tpep_pickup_datetime": pa.array(pickup, pa.timestamp("us")),
            "tpep_dropoff_datetime": pa.array(
                [
                    p + timedelta(minutes=r[1]) if p else None
                    for p, r in zip(pickup, rows, strict=True)
                ],
                pa.timestamp("us"),
            ),
            "PULocationID": pa.array([r[2] for r in rows], pa.int32()),
            "DOLocationID": pa.array([r[3] for r in rows], pa.int32()),
            "total_amount": pa.array([r[4] for r in rows], pa.float64()),
        }
    )


@pytest.fixture
def crafted(tmp_path) -> dict[str, pa.Table]:
    at = datetime(2026, 9, 14, 7, 30)
    rows = [
        (at, 5.0, 1, 2, 10.0),  # 1 → 2 averages exactly 5 minutes: not adjacent
        (at, 5.0, 1, 2, 10.0),
        (at, 4.0, 1, 3, 10.0),  # 1 → 3 averages 4.99 minutes: adjacent
        (at, 5.98, 1, 3, 10.0),
        (at, 1.0, 1, 1, 10.0),  # within zone 1: never adjacent to itself
        (at.replace(hour=23), 2.0, 2, 1, 10.0),  # 2 → 1 adjacent
        (at, 2.0, 3, 1, None),  # NULL amount: non_positive_total_amount
        (None, 2.0, 3, 1, 10.0),  # NULL pickup: pickup_outside_month
        (datetime(2026, 10, 1), 2.0, 3, 1, 10.0),  # first instant of the next month
        (datetime(2026, 9, 1), 0.0, 3, 1, 10.0),  # zero duration
        (at, 181.0, 3, 1, 10.0),  # over 3 hours
        (at, 2.0, 3, 264, 10.0),  # Unknown zone
    ]
    return _run({"2026-09": _crafted(rows)}, tmp_path)


def test_edge_cases_of_the_definitions(crafted):
    assert filter_counts(crafted["filter_counts"]) == {
        "pickup_outside_month": 2,
        "dropoff_not_after_pickup": 1,
        "duration_over_max": 1,
        "non_positive_total_amount": 1,
        "invalid_zone_id": 1,
        "valid": 6,
    }
    assert _adjacency(crafted["adjacent_zones"]) == {1: [3], 2: [1]}
    expected = {
        (r["pickup_zone_id"], r["pickup_hour"]): r["expected_pickups"]
        for r in crafted["expected_pickups"].to_pylist()
    }
    assert len(expected) == 48  # zones 1 and 2, every hour
    assert expected[(1, 7)] == 5 / 30 and expected[(2, 23)] == 1 / 30
    assert sorted(key for key, value in expected.items() if value) == [(1, 7), (2, 23)]
