"""Partitions of the log pipeline: hours and days of `inDate`, cut in UTC.

Shared by bronze (`api_logs`, hourly) and silver/gold (`click_events` and the marts,
daily) so that a day's partition maps exactly onto its 24 hours. Both start on
`TAXI_LOGS_FIRST_DAY`, when the click logs start, read when the code location loads.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from taxi_platform.defs.logs.layout import MAX_LATENESS
from taxi_platform.settings import first_day

LOGS_START = first_day("TAXI_LOGS_FIRST_DAY").isoformat()

DAY = timedelta(days=1)

hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{LOGS_START}-00:00", timezone="UTC")
daily_partitions = dg.DailyPartitionsDefinition(start_date=LOGS_START, timezone="UTC")


def hour_partition_key(hour: datetime) -> str:
    """The `hourly_partitions` key of an aware datetime at the start of a UTC hour."""
    return f"{hour.astimezone(UTC):%Y-%m-%d-%H:%M}"


def eager_with_late_days() -> dg.AutomationCondition:
    """`AutomationCondition.eager()` over the days a late record can still re-open, not only
    the latest: a bronze hour up to `MAX_LATENESS` old is re-materialized when late records
    arrive for it (`late_hours`), and its day downstream must follow. `eager()` looks at the
    latest time window only, so it would leave that older day stale."""
    return (
        dg.AutomationCondition.in_latest_time_window(lookback_delta=MAX_LATENESS + DAY)
        & (
            dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()
        ).since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label(f"eager, latest day and the {(MAX_LATENESS + DAY).days} before")
