"""The counters' cadences, in TAXI_TIMEZONE, running as soon as the daemon runs.

Why on by default: the 03:00 reset is part of the counters' contract; a schedule left off
would let them grow for days, and the 5-minute snapshots are what zone_diff_stats needs.
The hourly diffs run at HH:05, after the HH:00 snapshot (`hourly.GRACE`). Schedules built
from a partitioned job take their execution time zone from the partitions (TAXI_TIMEZONE).
Names state the default cadence; `TAXI_SNAPSHOT_EVERY_MINUTES` and
`TAXI_LIVE_VIEW_EVERY_MINUTES` change the cadence, never the name (a schedule's state on the
instance is kept by name).
"""

from datetime import timedelta

import dagster as dg

from taxi_platform.defs.counters import activity_log, daily_stats, diff_stats, live_view
from taxi_platform.defs.counters.activity_log import SNAPSHOT_EVERY
from taxi_platform.defs.counters.live_view import LIVE_EVERY
from taxi_platform.freshness import every_minutes_cron
from taxi_platform.settings import timezone

RUNNING = dg.DefaultScheduleStatus.RUNNING

counter_snapshot_job = dg.define_asset_job(
    "counter_snapshot_job", selection=[activity_log.zone_hourly_activity_log]
)
zone_diff_stats_job = dg.define_asset_job(
    "zone_diff_stats_job", selection=[diff_stats.zone_diff_stats]
)
daily_zone_stats_job = dg.define_asset_job(
    "daily_zone_stats_job", selection=[daily_stats.daily_zone_stats]
)
counters_live_view_job = dg.define_asset_job(
    "counters_live_view_job", selection=[live_view.counters_live_view]
)


def _every(name: str, job, cadence: timedelta) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=every_minutes_cron(cadence),
        execution_timezone=timezone(),
        default_status=RUNNING,
    )


SCHEDULES = [
    _every("counter_snapshot_every_5_minutes", counter_snapshot_job, SNAPSHOT_EVERY),
    dg.build_schedule_from_partitioned_job(
        zone_diff_stats_job,
        name="zone_diff_stats_hourly",
        description="The hour just closed, at HH:05.",
        minute_of_hour=5,
        default_status=RUNNING,
    ),
    dg.build_schedule_from_partitioned_job(
        daily_zone_stats_job,
        name="daily_zone_stats_at_0300",
        description="The business day just closed, at 03:00, then the counter reset.",
        default_status=RUNNING,
    ),
    _every("counters_live_view_every_5_minutes", counters_live_view_job, LIVE_EVERY),
]
JOBS = [counter_snapshot_job, zone_diff_stats_job, daily_zone_stats_job, counters_live_view_job]
