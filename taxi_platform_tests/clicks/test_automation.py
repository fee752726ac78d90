"""Automation conditions: a day's Silver (and the marts after it) is requested once all 24
bronze hours of the day are in, not before. `api_logs` is a stand-in spec with the bronze
asset's hourly partitions, so this holds whatever the logs domain registers."""

from datetime import UTC, datetime

import dagster as dg

from taxi_platform.defs.clicks.click_events import click_events
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.partitions import hourly_partitions
from taxi_platform.resources.wiring import build_resources
from taxi_platform_tests.support import keys_of

DAY = "2026-03-10"
NOW = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)  # DAY is then the latest complete day


def test_silver_and_marts_wait_for_the_24th_hour():
    defs = dg.Definitions(
        assets=[
            dg.AssetSpec(api_logs.key, partitions_def=hourly_partitions),
            click_events,
            gold_marts,
        ],
        resources=build_resources("local"),
    )
    instance = dg.DagsterInstance.ephemeral()

    def hour_arrives(hour: int) -> None:
        event = dg.AssetMaterialization(api_logs.key, partition=f"{DAY}-{hour:02d}:00")
        instance.report_runless_asset_event(event)

    def tick(cursor=None):
        return dg.evaluate_automation_conditions(
            defs=defs, instance=instance, evaluation_time=NOW, cursor=cursor
        )

    for hour in range(23):
        hour_arrives(hour)
    result = tick()
    assert result.total_requested == 0
    hour_arrives(23)
    result = tick(result.cursor)
    requested = {
        key: result.get_requested_partitions(key) for key in keys_of(click_events, gold_marts)
    }
    assert len(requested) == 1 + len(MART_NAMES)
    assert requested == {key: {DAY} for key in requested}
    assert tick(result.cursor).total_requested == 0


def test_an_older_day_whose_hour_is_rebuilt_is_requested_again_within_the_late_days():
    """A bronze hour re-materialized for late records re-opens its day, if the day is within
    the latest and the 8 before (`eager_with_late_days`); older days stay as they are."""
    defs = dg.Definitions(
        assets=[dg.AssetSpec("api_logs", partitions_def=hourly_partitions), click_events],
        resources=build_resources("local"),
    )
    instance = dg.DagsterInstance.ephemeral()
    days = ["2026-03-01", DAY]  # 10 days before NOW's latest day, and within the late days

    def hour(day: str, at: int) -> None:
        event = dg.AssetMaterialization("api_logs", partition=f"{day}-{at:02d}:00")
        instance.report_runless_asset_event(event)

    def tick(now, cursor=None):
        return dg.evaluate_automation_conditions(
            defs=defs, instance=instance, evaluation_time=now, cursor=cursor
        )

    result = tick(NOW)  # the first evaluation only starts the automation
    for day in days:
        for at in range(24):
            hour(day, at)
    result = tick(NOW, result.cursor)
    assert result.get_requested_partitions(click_events.key) == {DAY}
    for day in days:
        instance.report_runless_asset_event(dg.AssetMaterialization("click_events", partition=day))
    later = NOW.replace(day=13)
    result = tick(later, result.cursor)
    assert result.total_requested == 0
    for day in days:
        hour(day, 5)  # late records of 05:00
    assert tick(later, result.cursor).get_requested_partitions(click_events.key) == {DAY}
