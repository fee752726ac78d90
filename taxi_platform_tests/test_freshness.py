"""Freshness policies agree with the cadences that materialize the assets.

Why: a policy is a promise shown on every asset page ("fresh", "warn", "fail"). An on-time
asset must never warn, and a stopped schedule must turn its assets FAIL within a few missed
runs. Both depend on the schedule's real cron, which this reads from the code location
(Dagster evaluates the policies; the cadence arithmetic here is independent of our helper).
"""

import time
from datetime import timedelta

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator  # the daemon's own cron arithmetic

from taxi_platform.defs.counters.activity_log import zone_hourly_activity_log
from taxi_platform.defs.counters.daily_stats import daily_zone_stats
from taxi_platform.defs.logs.api_logs import AUTOMATION_CRON, api_logs
from taxi_platform.defs.logs.landing import api_logs_landing
from taxi_platform.freshness import every_minutes_cron
from taxi_platform_tests.support import keys_of

# Assets materialized by a cadence without a schedule of their own: automation conditions.
AUTOMATED = {api_logs.key.to_user_string(): (AUTOMATION_CRON, "UTC")}
FAIL_WITHIN = 3  # missed runs, at most (+ the run time allowance below)
RUN_TIME_ALLOWANCE = timedelta(hours=2)


def _interval(cron: str, timezone: str) -> timedelta:
    ticks = cron_string_iterator(time.time(), cron, timezone)
    first, second = next(ticks), next(ticks)
    return second - first


def _cadences(repository: dg.RepositoryDefinition) -> dict[str, timedelta]:
    """The cadence of every asset that a schedule or a cron automation condition runs."""
    cadences = {}
    for schedule in repository.schedule_defs:
        every = _interval(schedule.cron_schedule, schedule.execution_timezone or "UTC")
        job = repository.get_job(schedule.job_name)
        for key in job.asset_layer.executable_asset_keys:
            cadences[key.to_user_string()] = every
    for asset, (cron, timezone) in AUTOMATED.items():
        cadences[asset] = _interval(cron, timezone)
    return cadences


def _problems(asset: str, policy: dg.FreshnessPolicy | None, every: timedelta) -> list[str]:
    if policy is None:
        return [f"{asset}: runs every {every} but has no freshness_policy"]
    fail = policy.fail_window.to_timedelta()
    first_alarm = policy.warn_window.to_timedelta() if policy.warn_window else fail
    problems = []
    if first_alarm <= every:
        problems.append(f"{asset}: flagged after {first_alarm}, before its next run ({every})")
    if fail > FAIL_WITHIN * every + RUN_TIME_ALLOWANCE:
        problems.append(f"{asset}: a stopped cadence of {every} fails only after {fail}")
    return problems


def test_an_on_time_asset_never_warns_and_a_stopped_one_fails_soon(stack):
    from taxi_platform.definitions import defs  # after the stack: it reads the environment

    repository = defs.get_repository_def()
    cadences = _cadences(repository)
    scheduled = keys_of(zone_hourly_activity_log, daily_zone_stats, api_logs_landing)
    assert {key.to_user_string() for key in scheduled} <= set(cadences)
    graph = repository.asset_graph
    problems = [
        problem
        for asset, every in sorted(cadences.items())
        for problem in _problems(asset, graph.get(dg.AssetKey(asset)).freshness_policy, every)
    ]
    assert not problems, "\n".join(problems)


def test_minute_cadences_become_crons_and_others_are_refused():
    assert every_minutes_cron(timedelta(minutes=5)) == "*/5 * * * *"
    assert every_minutes_cron(timedelta(minutes=1)) == "* * * * *"
    assert every_minutes_cron(timedelta(minutes=60)) == "0 * * * *"
    for wrong in (timedelta(minutes=7), timedelta(seconds=90), timedelta(hours=2)):
        with pytest.raises(ValueError, match="dividing an hour"):
            every_minutes_cron(wrong)
