"""Partitions of the log pipeline: hours and days of `inDate`, cut in UTC (DESIGN §5).

Shared by bronze (`api_logs`, hourly) and silver/gold (`click_events` and the marts,
daily) so that a day's partition maps exactly onto its 24 hours.
"""

import dagster as dg

LOGS_START = "2026-01-01"

hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{LOGS_START}-00:00", timezone="UTC")
daily_partitions = dg.DailyPartitionsDefinition(start_date=LOGS_START, timezone="UTC")
