"""Out of the box: on a fresh instance every schedule and sensor is RUNNING, and every asset
with an automation condition is evaluated by a RUNNING automation sensor.

Why a real instance: whether an instigator runs is decided by the instance (its stored state,
else the definition's default status), which is what the UI and the daemon read. A fresh one
(empty `dagster.yaml`, nothing stored) is what a new deployment starts from.
"""

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorType
from dagster._core.test_utils import in_process_test_workspace  # the UI's own workspace
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from taxi_platform.automation import automated_asset_keys
from taxi_platform.settings import REPO_ROOT

LOCATION = LoadableTargetOrigin(
    module_name="taxi_platform.definitions", working_directory=str(REPO_ROOT)
)


@pytest.fixture(scope="module")
def on_a_fresh_instance(tmp_path_factory):
    """(instigator name → (kind, running?), remote repository) as a fresh instance sees
    them: the stored state, else the default status (what the UI and the daemon do)."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("")
    with (
        dg.instance_for_test(temp_dir=str(home)) as instance,
        in_process_test_workspace(instance, LOCATION) as workspace,
    ):
        location = workspace.code_locations[0]
        [repository] = location.get_repositories().values()
        states = {}
        for instigator in (*repository.get_schedules(), *repository.get_sensors()):
            stored = instance.get_instigator_state(
                instigator.get_remote_origin_id(), instigator.selector_id
            )
            state = instigator.get_current_instigator_state(stored)
            states[instigator.name] = (state.instigator_type.value, state.is_running)
        yield states, repository


def test_every_schedule_and_sensor_runs_on_a_fresh_instance(on_a_fresh_instance):
    states, _ = on_a_fresh_instance
    assert {
        "api_logs_landing_every_3_minutes",
        "counter_snapshot_every_5_minutes",
        "counters_live_view_every_5_minutes",
        "daily_zone_stats_at_0300",
        "zone_diff_stats_hourly",
        "taxi_trips_arrivals",
        "logs_automation",
        "clicks_automation",
        "zones_automation",
    } <= set(states)
    stopped = {name: kind for name, (kind, running) in states.items() if not running}
    assert not stopped, f"not RUNNING on a fresh instance: {stopped}"
    # The implicit sensor would mean an automated asset that no domain sensor targets.
    assert "default_automation_condition_sensor" not in states


def test_every_automated_asset_is_evaluated_by_a_running_automation_sensor(on_a_fresh_instance):
    states, repository = on_a_fresh_instance
    graph = repository.asset_graph
    automated = {key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition}
    assert {"api_logs", "click_events", "mart_daily_traffic", "expected_pickups"} <= {
        key.to_user_string() for key in automated
    }
    covered: dict[dg.AssetKey, list[str]] = {}
    for sensor in repository.get_sensors():
        if sensor.sensor_type not in (SensorType.AUTOMATION, SensorType.AUTO_MATERIALIZE):
            continue
        assert states[sensor.name][1], f"{sensor.name} is not running"
        for key in sensor.asset_selection.resolve(graph):
            covered.setdefault(key, []).append(sensor.name)
    assert set(covered) >= automated, f"no automation sensor: {sorted(automated - set(covered))}"
    assert all(len(names) == 1 for names in covered.values()), covered


def test_a_domain_sensor_targets_what_its_folder_defines():
    keys = {key.to_user_string() for key in automated_asset_keys("taxi_platform.defs.clicks")}
    # click_events and the marts, not api_logs (logs) although clicks modules use logs code.
    assert keys == {
        "click_events",
        "mart_clinical_areas",
        "mart_daily_traffic",
        "mart_hourly_traffic",
        "mart_popular_documents",
        "mart_session_analysis",
    }
