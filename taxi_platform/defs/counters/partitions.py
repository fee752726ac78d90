"""Partitions of the counters' tables, in `TAXI_TIMEZONE` (Asia/Seoul: no DST there).

`BUSINESS_DAYS`: partition D covers [D 03:00, D+1 03:00), the counters' business day, so it
closes, and its schedule fires, at 03:00. `HOURS`: wall-clock hours. Both start on
`TAXI_COUNTERS_FIRST_DAY`, when the counters' data starts; it and the time zone are read when
the code location loads.
"""

import dagster as dg

from taxi_platform.defs.counters.stats import CUTOFF_HOUR
from taxi_platform.settings import first_day, timezone

FIRST_DAY = first_day("TAXI_COUNTERS_FIRST_DAY").isoformat()

BUSINESS_DAYS = dg.DailyPartitionsDefinition(
    start_date=FIRST_DAY, hour_offset=CUTOFF_HOUR, timezone=timezone()
)
HOURS = dg.HourlyPartitionsDefinition(start_date=f"{FIRST_DAY}-00:00", timezone=timezone())
