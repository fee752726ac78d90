"""Partitions of the log pipeline: hours and days of `inDate`, cut in UTC.

Shared by bronze (`api_logs`, hourly) and silver/gold (`click_events` and the marts,
daily) so that a day's partition maps exactly onto its 24 hours.
"""

from datetime import UTC, datetime

import dagster as dg

LOGS_START = "2026-01-01"

hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{LOGS_START}-00:00", timezone="UTC")
daily_partitions = dg.DailyPartitionsDefinition(start_date=LOGS_START, timezone="UTC")


def hour_partition_key(hour: datetime) -> str:
    """The `hourly_partitions` key of an aware datetime at the start of a UTC hour."""
    return f"{hour.astimezone(UTC):%Y-%m-%d-%H:%M}"
