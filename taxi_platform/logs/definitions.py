"""Everything the logs domain contributes to the code location: landing, bronze, checks."""

import dagster as dg

from taxi_platform.logs.api_logs import api_logs
from taxi_platform.logs.checks import api_logs_checks
from taxi_platform.logs.landing import api_logs_landing
from taxi_platform.logs.schedules import api_logs_landing_every_3_minutes, api_logs_landing_job

defs = dg.Definitions(
    assets=[api_logs_landing, api_logs],
    asset_checks=[api_logs_checks],
    jobs=[api_logs_landing_job],
    schedules=[api_logs_landing_every_3_minutes],
)
