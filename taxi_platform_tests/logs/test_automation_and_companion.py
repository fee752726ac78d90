"""How the log pipeline is run: schedule, automation, backfill policy, the `dev` companion."""

import json
import urllib.request
from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time  # test clock; no public equivalent

from taxi_platform_dev.domains import tool_modules
from taxi_platform_dev.domains.logs.companion import PROCESS_NAME, start
from taxi_platform_dev.local.moto import SERVERS
from taxi_platform_dev.local.processes import pid_alive
from taxi_platform_dev.local.stack import Stack


@pytest.fixture(scope="module")
def repository():
    from taxi_platform.definitions import defs  # never at module level: it reads the env

    return defs.get_repository_def()


def test_landing_every_3_minutes_waits_for_second_5(repository):
    from taxi_platform.defs.logs.landing import api_logs_landing

    schedule = repository.get_schedule_def("api_logs_landing_every_3_minutes")
    assert schedule.cron_schedule == "*/3 * * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    tick = datetime(2026, 2, 1, 9, 3, tzinfo=UTC)
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(scheduled_execution_time=tick, instance=instance) as context,
    ):
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.run_config["ops"][api_logs_landing.op.name]["config"]["fetch_second"] == 5


def test_api_logs_backfills_24_hours_per_run_and_has_its_checks(repository):
    from taxi_platform.defs.logs.api_logs import api_logs

    assert api_logs.backfill_policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=24)
    checks = {key.name for key in repository.asset_graph.asset_check_keys}
    assert {"no_loss", "key_layout", "decodes"} <= checks


def test_the_closed_hour_is_requested_once_after_the_grace_and_landing(resources):
    from taxi_platform.defs.logs.api_logs import api_logs
    from taxi_platform.defs.logs.landing import api_logs_landing

    defs = dg.Definitions(assets=[api_logs_landing, api_logs], resources=resources)

    def requested(at: datetime, instance, cursor=None):
        with freeze_time(at):
            result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        keys = [
            k for r in result.results for k in r.true_subset.expensively_compute_partition_keys()
        ]
        return keys, result.cursor

    with dg.instance_for_test() as instance:
        before, cursor = requested(datetime(2026, 2, 1, 10, 12, tzinfo=UTC), instance)
        with freeze_time(datetime(2026, 2, 1, 10, 15, 5, tzinfo=UTC)):  # the 10:15 landing
            instance.report_runless_asset_event(dg.AssetMaterialization(api_logs_landing.key))
        at_15, cursor = requested(datetime(2026, 2, 1, 10, 15, 30, tzinfo=UTC), instance, cursor)
        later, _ = requested(datetime(2026, 2, 1, 10, 45, tzinfo=UTC), instance, cursor)
    assert (before, at_15, later) == ([], ["2026-02-01-09:00"], [])


def test_the_companion_serves_the_stack_key_once_and_stack_down_stops_it(stack, tmp_path):
    assert start.__module__ in {m.__name__ for m in tool_modules("companion")}
    home = Stack(tmp_path / "stack", say=lambda _msg: None)
    home.home.mkdir()
    state = {
        k: v
        for k, v in stack.load().items()
        if k in ("postgres", *SERVERS, "passwords", "fernet_key")
    }
    for name in ("postgres", *SERVERS):  # ports and passwords only: this stack must not own them
        state[name] = {"port": state[name]["port"]}
    home.state_file.write_text(json.dumps(state))

    start(home)
    pid = home.load()["extra_processes"][PROCESS_NAME]["pid"]
    start(home)  # already running: kept
    assert home.load()["extra_processes"][PROCESS_NAME]["pid"] == pid
    url = home.env()["TAXI_LOG_API_URL"]
    with urllib.request.urlopen(url.replace("/logs", "/health"), timeout=5) as response:
        assert json.load(response)["status"] == "ok"

    assert f"{PROCESS_NAME} (pid {pid})" in home.down()
    assert not pid_alive(pid)
    assert stack.is_up()
