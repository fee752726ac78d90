"""Everything the counters domain contributes to the code location."""

import dagster as dg

from taxi_platform.counters.activity_log import (
    zone_hourly_activity_log,
    zone_hourly_activity_log_no_zone_vanished,
)
from taxi_platform.counters.daily_stats import DAILY_CHECKS, daily_zone_stats
from taxi_platform.counters.diff_stats import zone_diff_stats, zone_diff_stats_no_negative_diff
from taxi_platform.counters.live_view import (
    counters_live_view,
    live_counter_totals_match_zones,
    live_taxi_destinations_all_assigned,
)
from taxi_platform.counters.schedules import JOBS, SCHEDULES

defs = dg.Definitions(
    assets=[zone_hourly_activity_log, zone_diff_stats, daily_zone_stats, counters_live_view],
    asset_checks=[
        zone_hourly_activity_log_no_zone_vanished,
        *DAILY_CHECKS,
        zone_diff_stats_no_negative_diff,
        live_taxi_destinations_all_assigned,
        live_counter_totals_match_zones,
    ],
    jobs=JOBS,
    schedules=SCHEDULES,
)
