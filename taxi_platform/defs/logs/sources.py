"""The click-log API: the web site's log server, polled by landing."""

from taxi_platform.defs.logs import DOMAIN
from taxi_platform.external_assets import external_asset

log_api = external_asset(
    DOMAIN,
    ["log_api"],
    group_name="landing",
    kinds={"api"},
    description="The log server at `TAXI_LOG_API_URL`: 100 new click-log records every 3 minutes, "
    "Fernet-encrypted with `TAXI_LOG_FERNET_KEY`.",
)
