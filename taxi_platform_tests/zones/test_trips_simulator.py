"""The trip generator: the published schemas, determinism, speed, realism, dirt, the CLI."""

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from taxi_platform.defs.zones.reference import parse_zone_table
from taxi_platform.defs.zones.trip_files import SCHEMAS, schema_variant, trip_key
from taxi_platform_dev.cli import main as cli_main
from taxi_platform_dev.domains.zones.simulator import DirtRates, generate_month
from taxi_platform_tests.zones.reference_models import reference_models

PUBLISHED_SCHEMAS = Path(__file__).parents[1] / "data" / "tlc_yellow_schema.json"


@pytest.fixture(scope="module")
def month_sample(zone_csv) -> pa.Table:
    return generate_month("2026-10", 200_000, 7, zone_csv)


def test_schemas_are_the_published_ones():
    published = json.loads(PUBLISHED_SCHEMAS.read_text())

    def typed(pairs):
        return [(name, pa.type_for_alias(kind)) for name, kind in pairs]

    current = typed(published["schema_2023_02_to_2024_12"])
    retyped = dict(
        typed((n, k.split()[0]) for n, k in published["schema_2023_01_differences"].items())
    )
    renamed = [("airport_fee" if n == "Airport_fee" else n, kind) for n, kind in current]
    first = [(name, retyped.get(name, kind)) for name, kind in renamed]
    added = typed(published["schema_2025_onward_adds"])
    assert {
        "2023-01": pa.schema(first),
        "2023-02": pa.schema(current),
        "2025-01": pa.schema(current + added),
    } == SCHEMAS


@pytest.mark.parametrize(
    "month,variant", [("2022-06", "2023-01"), ("2024-07", "2023-02"), ("2026-10", "2025-01")]
)
def test_each_month_has_the_schema_tlc_published_for_it(zone_csv, month, variant):
    assert schema_variant(generate_month(month, 100, 0, zone_csv).schema) == variant


def test_deterministic_by_seed_and_month(zone_csv, month_sample):
    assert generate_month("2026-10", 200_000, 7, zone_csv).equals(month_sample)
    assert not generate_month("2026-10", 200_000, 8, zone_csv).equals(month_sample)


def test_a_million_rows_in_a_few_seconds(zone_csv):
    started = time.monotonic()
    table = generate_month("2026-11", 1_000_000, 0, zone_csv)
    pq.write_table(table, pa.BufferOutputStream())
    assert table.num_rows == 1_000_000
    assert time.monotonic() - started < 10


def test_demand_is_skewed_like_tlc(zone_csv, month_sample):
    zones = parse_zone_table(zone_csv.read_bytes()).set_index("location_id")
    pickups = month_sample.column("PULocationID").to_numpy()
    service = zones["service_zone"].reindex(pickups).to_numpy()
    assert np.isin(service, ["Yellow Zone", "Airports"]).mean() > 0.85
    top = np.bincount(pickups).argsort()[::-1][:5]
    assert {132, 138} <= set(top)  # JFK and LaGuardia are among the busiest zones
    hours = pc.hour(month_sample.column("tpep_pickup_datetime")).to_numpy()
    by_hour = np.bincount(hours, minlength=24)
    assert by_hour[17:20].mean() > 4 * by_hour[3:6].mean()


def test_short_hops_make_neighbours_adjacent(zone_csv, month_sample):
    zones = parse_zone_table(zone_csv.read_bytes()).set_index("location_id")["borough"]
    adjacency = reference_models({"2026-10": month_sample}).adjacency
    pairs = [(zone, other) for zone, others in adjacency.items() for other in others]
    assert len(adjacency) > 150 and len(pairs) > 400
    assert all(zones[a] == zones[b] for a, b in pairs)  # neighbours live in one borough
    minutes = pc.divide(
        pc.cast(
            pc.subtract(
                month_sample.column("tpep_dropoff_datetime"),
                month_sample.column("tpep_pickup_datetime"),
            ),
            pa.int64(),
        ),
        60e6,
    ).to_numpy()
    assert 0.05 < ((minutes > 0) & (minutes < 5)).mean() < 0.3


def test_dirt_comes_in_every_kind_at_its_rate(month_sample):
    rates = DirtRates()
    dropped = reference_models({"2026-10": month_sample}).dropped
    expected = {
        "pickup_outside_month": rates.pickup_outside_month,
        "dropoff_not_after_pickup": rates.dropoff_not_after_pickup,
        "duration_over_max": rates.absurd_duration,
        "non_positive_total_amount": rates.non_positive_amount,
        "invalid_zone_id": rates.invalid_zone,
    }
    for name, rate in expected.items():
        assert dropped[name] == pytest.approx(rate * month_sample.num_rows, rel=0.2), name


def test_total_is_the_sum_of_its_parts(month_sample):
    """Every amount column (the doubles but the distance) adds up to total_amount."""
    parts = [
        field.name
        for field in month_sample.schema
        if field.type == pa.float64() and field.name not in ("trip_distance", "total_amount")
    ]
    assert len(parts) == 9
    frame = month_sample.select([*parts, "total_amount"]).to_pandas().fillna(0.0)
    assert np.allclose(frame[parts].sum(axis=1), frame["total_amount"], atol=0.011)


def test_cli_writes_a_month_to_the_lake_or_a_file(stack, lake, tmp_path, capsys):
    assert cli_main(["simulate", "trips", "--month", "2024-03", "--rows", "3000"]) == 0
    table = pq.read_table(pa.BufferReader(lake.get_bytes(trip_key("2024-03"))))
    assert table.num_rows == 3000 and schema_variant(table.schema) == "2023-02"
    out = tmp_path / "trips.parquet"
    assert (
        cli_main(["simulate", "trips", "--month", "2024-03", "--rows", "3000", "--out", str(out)])
        == 0
    )
    assert pq.read_table(out).equals(table)
    assert "3000 trips of 2024-03" in capsys.readouterr().out
