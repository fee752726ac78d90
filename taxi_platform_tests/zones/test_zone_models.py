"""`expected_pickups` / `adjacent_zones` through `dg.materialize` with the real resources
(moto S3, PostgreSQL, the default engine: DuckDB reading moto's S3) against the independent
pandas reference, their checks on broken tables, and the shell entry point."""

import os

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from taxi_platform.defs.zones.trip_files import TRIPS_PREFIX, month_of_key, trip_key
from taxi_platform.defs.zones.zone_models import MODEL_CHECKS, zone_models
from taxi_platform_tests.support import checks, keys_of, metadata, shell_materialize
from taxi_platform_tests.zones.conftest import published_tables
from taxi_platform_tests.zones.reference_models import reference_models

FILTERS = [
    "pickup_outside_month",
    "dropoff_not_after_pickup",
    "duration_over_max",
    "non_positive_total_amount",
    "invalid_zone_id",
]


def assert_equal_to_reference(published, reference) -> None:
    expected, adjacency = published
    want = reference.expected
    assert len(expected) == len(want)
    for column in ("pickup_zone_id", "pickup_hour", "total_pickups", "days_in_window"):
        assert expected[column].tolist() == want[column].tolist(), column
    np.testing.assert_allclose(
        expected["expected_pickups"].astype(float), want["expected_pickups"], rtol=0, atol=1e-9
    )
    assert adjacency == reference.adjacency


def test_models_equal_an_independent_computation(local_run, model_months_in_lake):
    result, published = local_run
    reference = reference_models(model_months_in_lake)
    assert_equal_to_reference(published, reference)
    assert len(reference.adjacency) > 50  # the generator's short hops make adjacency exist
    for key in keys_of(zone_models):
        model = metadata(result, key)
        assert model["input_rows"] == sum(t.num_rows for t in model_months_in_lake.values())
        assert model["valid_rows"] == reference.valid_rows
        for name in FILTERS:
            assert model[f"dropped_{name}"] == reference.dropped[name], name
            assert reference.dropped[name] > 0, f"the generator made no {name} dirt"
        assert model["engine"] == "duckdb" and model["engine_compute_seconds"] > 0
        assert model["months"] == ["2023-01", "2026-09"]
    rows = {
        key.to_user_string(): metadata(result, key)["dagster/row_count"]
        for key in keys_of(zone_models)
    }
    assert rows == {
        "expected_pickups": len(reference.expected),
        "adjacent_zones": len(reference.adjacency),
    }
    evaluations = checks(result)
    assert len(evaluations) == 3 and all(c.passed for c in evaluations.values())


def _run_checks(resources) -> dict[str, dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [zone_models, *MODEL_CHECKS],
        resources=resources,
        selection=dg.AssetSelection.checks(*MODEL_CHECKS),
    )
    return checks(result)


def test_checks_fail_on_broken_tables(local_run, resources, postgres_db):
    expected, adjacency = local_run[1]
    zone = int(expected["pickup_zone_id"].iloc[0])
    neighbour_zone = next(iter(adjacency))
    try:
        postgres_db.execute(
            "DELETE FROM expected_pickups WHERE pickup_zone_id = %s AND pickup_hour = 3", [zone]
        )
        postgres_db.execute(
            "UPDATE adjacent_zones SET adjacent_zone_ids = adjacent_zone_ids || ARRAY[zone_id, 265]"
            " WHERE zone_id = %s",
            [neighbour_zone],
        )
        checks = _run_checks(resources)
        assert {name: c.passed for name, c in checks.items()} == {
            "expected_pickups_every_hour": False,
            "expected_pickups_non_negative": True,
            "adjacent_zones_valid": False,
        }
        missing = checks["expected_pickups_every_hour"].metadata["zones_missing_hours"]
        assert missing.value == [zone]
        problems = checks["adjacent_zones_valid"].metadata
        assert problems["self_adjacent"].value == [neighbour_zone]
        assert problems["unknown_neighbour"].value == [neighbour_zone]
    finally:
        restore = expected[expected["pickup_zone_id"] == zone]
        with postgres_db.transaction() as conn:
            conn.execute("DELETE FROM expected_pickups WHERE pickup_zone_id = %s", [zone])
            postgres_db.copy_frame(conn, "expected_pickups", restore)
            conn.execute(
                "UPDATE adjacent_zones SET adjacent_zone_ids = %s WHERE zone_id = %s",
                [adjacency[neighbour_zone], neighbour_zone],
            )
    assert all(c.passed for c in _run_checks(resources).values())


def test_a_month_without_file_is_a_clear_error(resources, model_months_in_lake):
    result = dg.materialize(
        [zone_models],
        resources=resources,
        run_config={"ops": {zone_models.op.name: {"config": {"months": ["2026-09", "2019-02"]}}}},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node(zone_models.op.name).error.message
    assert "raw/nyc_taxi/yellow_tripdata_2019-02.parquet missing" in failure


def test_shell_materialize_covers_every_month_in_the_lake(
    stack_env, lake, postgres_db, model_months_in_lake
):
    postgres_db.execute("DELETE FROM adjacent_zones")
    shell_materialize(zone_models, env={**os.environ, **stack_env})
    months = sorted(m for m in map(month_of_key, lake.list_keys(TRIPS_PREFIX)) if m)
    tables = {m: pq.read_table(pa.BufferReader(lake.get_bytes(trip_key(m)))) for m in months}
    assert set(model_months_in_lake) <= set(tables)
    assert_equal_to_reference(published_tables(postgres_db), reference_models(tables))


def test_a_new_trip_month_triggers_the_models_once():
    """Eager automation, although most taxi_trips months since 2009 do not exist."""
    from taxi_platform.defs.zones.taxi_trips import taxi_trips
    from taxi_platform.resources.wiring import build_resources

    assets = dg.Definitions(assets=[taxi_trips, zone_models], resources=build_resources("local"))
    with dg.DagsterInstance.ephemeral() as instance:
        first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(taxi_trips.key, partition="2026-09-01")
        )
        second = dg.evaluate_automation_conditions(
            defs=assets, instance=instance, cursor=first.cursor
        )
        third = dg.evaluate_automation_conditions(
            defs=assets, instance=instance, cursor=second.cursor
        )
    assert first.total_requested == 0 and third.total_requested == 0
    for key in keys_of(zone_models):
        assert second.get_num_requested(key) == 1
    assert second.total_requested == 2
