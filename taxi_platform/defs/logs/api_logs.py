"""`api_logs`: bronze, one gzip JSON-lines object of compressed records per UTC hour of `inDate`.

An hour H reads the landing objects fetched in [H, H + 1 h + 10 min) and those its late
index lists (`layout`: who owns which record), decrypts, validates and compresses them
(`codec`), keeps the records of H once, and replaces `logs/YYYY/MM/DD/HH/api_logs.jsonl.gz`
and H's quarantine documents. As the fetch hour of its landing objects it also writes the
late index of earlier hours they hold records of, and names those hours in its metadata
`late_hours`, which the sensor `api_logs_late_hours` re-materializes (`late_hours.py`).
Same landing objects, same bytes: re-materializing an hour is safe at any time.

Automation: `on_cron("15 * * * *")` materializes the hour just closed once landing has run
after HH:15, which is after the 10-minute grace that bounds what H reads (the last window
of H lands at HH:00:05, a retried or caught-up one within minutes). A declarative condition
rather than a schedule, because it waits for landing and shows in the UI why it ran.
Backfills: up to 24 hours per run (`BackfillPolicy.multi_run`); a run over a range reads
each landing object once and writes one object per hour, with per-hour metadata.
"""

from datetime import timedelta

import dagster as dg

from taxi_platform.defs.logs import DOMAIN, landing
from taxi_platform.defs.logs.bronze import RunOutput, build_hours
from taxi_platform.defs.logs.layout import HOUR, hours_between
from taxi_platform.defs.logs.partitions import hour_partition_key, hourly_partitions
from taxi_platform.defs.logs.store import landing_names, read_landing, write_hours
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.log_api import LogApiResource
from taxi_platform.settings import api_logs_cron

AUTOMATION_CRON = api_logs_cron()  # TAXI_API_LOGS_CRON, default "15 * * * *"


def key_looks_wrong(run: RunOutput) -> bool:
    """Several batches and not one decrypts: the key, not the batches, is wrong. Quarantining
    every batch would hide that; failing the run says it (the batches stay in landing)."""
    return run.bad_tokens >= 2 and run.batches_decrypted == 0


@dg.asset(
    partitions_def=hourly_partitions,
    deps=[landing.api_logs_landing],
    group_name="bronze",
    **DOMAIN.attributes("bronze", tier=2),
    kinds={"s3"},
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=24),
    automation_condition=dg.AutomationCondition.on_cron(AUTOMATION_CRON, "UTC"),
    freshness_policy=missed_runs(HOUR, warn=1, fail=2, run_time=timedelta(minutes=30)),
    description=(
        "Decrypted click-log records compressed losslessly (codec), one object per UTC hour "
        "of `inDate`: `logs/YYYY/MM/DD/HH/api_logs.jsonl.gz`, deduplicated, deterministic. "
        "Records that arrive late land in their own hour (sensor `api_logs_late_hours`, up "
        "to 7 days). Bad batches and records go to `quarantine/api_logs/YYYY/MM/DD/HH/` with "
        "the reason."
    ),
)
def api_logs(
    context: dg.AssetExecutionContext, lake: LakeResource, log_api: LogApiResource
) -> dg.MaterializeResult:
    window = context.partition_time_window
    hours = hours_between(window.start, window.end)
    names, strays = landing_names(lake, hours)
    for key in strays:
        context.log.warning(f"ignored {key}: not a landing key of the layout")
    run = build_hours(read_landing(lake, names), hours, log_api.fernet())
    if key_looks_wrong(run):
        raise dg.Failure(
            f"none of {run.bad_tokens} landed batches decrypts with TAXI_LOG_FERNET_KEY: it is "
            "probably not the key the log API encrypts with (nothing was written)"
        )
    outputs = list(run.hours.values())
    for output, metadata in zip(outputs, write_hours(lake, outputs), strict=True):
        context.add_asset_metadata(metadata, partition_key=hour_partition_key(output.hour))
        if output.landed == 0 and not output.quarantine:
            context.log.warning(f"no landed record for {hour_partition_key(output.hour)}")
    return dg.MaterializeResult()  # the metadata is per hour, above
