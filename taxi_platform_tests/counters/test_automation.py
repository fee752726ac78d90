"""The counters' schedules and jobs, as the code location defines them."""

from datetime import datetime

import dagster as dg
import pytest

from taxi_platform_tests.support import SEOUL


@pytest.fixture(scope="module")
def repository():
    from taxi_platform.definitions import defs  # never at module level: it reads the env

    return defs.get_repository_def()


@pytest.mark.parametrize(
    "name,cron",
    [
        ("counter_snapshot_every_5_minutes", "*/5 * * * *"),
        ("zone_diff_stats_hourly", "5 * * * *"),
        ("daily_zone_stats_at_0300", "0 3 * * *"),
        ("counters_live_view_every_5_minutes", "*/5 * * * *"),
    ],
)
def test_schedules_run_in_seoul_and_are_on(repository, name, cron):
    schedule = repository.get_schedule_def(name)
    assert (schedule.cron_schedule, schedule.execution_timezone) == (cron, "Asia/Seoul")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


@pytest.mark.parametrize(
    "name,tick,partition",
    [
        ("zone_diff_stats_hourly", datetime(2025, 8, 26, 10, 5, tzinfo=SEOUL), "2025-08-26-09:00"),
        # 03:00 closes business day D = [D 03:00, D+1 03:00): the day before the tick's date.
        ("daily_zone_stats_at_0300", datetime(2025, 8, 26, 3, tzinfo=SEOUL), "2025-08-25"),
    ],
)
def test_partitioned_schedules_target_the_period_just_closed(repository, name, tick, partition):
    schedule = repository.get_schedule_def(name)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == partition


def test_jobs_select_their_asset_and_its_checks(repository):
    job = repository.get_job("daily_zone_stats_job")
    checks = {key.name for key in job.asset_layer.asset_graph.asset_check_keys}
    assert {"rate_valid", "totals_match_zones", "matches_reset_ledger"} <= checks
