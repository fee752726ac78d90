"""The landing cadence: every 3 minutes (the old log ETL: minutes 0, 3, …, 57 at second 5;
`TAXI_LANDING_EVERY_MINUTES`).

Cron has no seconds, so the schedule fires at second 0 and the run itself waits until
`fetch_second` (run config, 5) of the minute: just after the source refreshes. On by
default, like the counters' schedules: a landing schedule left off would lose every batch
the source does not keep. A tick while a landing run is still going (retrying a failed
fetch) is skipped rather than queued: the next run's catch-up fetches what it missed.
"""

import dagster as dg

from taxi_platform.defs.logs import landing
from taxi_platform.defs.logs.landing import LANDING_EVERY
from taxi_platform.freshness import every_minutes_cron
from taxi_platform.settings import timezone

FETCH_SECOND = 5
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]

api_logs_landing_job = dg.define_asset_job(
    "api_logs_landing_job", selection=[landing.api_logs_landing]
)


@dg.schedule(
    job=api_logs_landing_job,
    cron_schedule=every_minutes_cron(LANDING_EVERY),
    execution_timezone=timezone(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def api_logs_landing_every_3_minutes(context: dg.ScheduleEvaluationContext):
    running = context.instance.get_runs(
        dg.RunsFilter(job_name=api_logs_landing_job.name, statuses=IN_PROGRESS), limit=1
    )
    if running:
        return dg.SkipReason(f"landing run {running[0].run_id} is still in progress")
    return dg.RunRequest(
        run_config={"ops": {"api_logs_landing": {"config": {"fetch_second": FETCH_SECOND}}}}
    )
