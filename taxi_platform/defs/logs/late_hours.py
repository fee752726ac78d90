"""`api_logs_late_hours`: re-materialize the hours that received late records.

A record fetched after its hour R was built (later than R + 1 h + 10 min, up to
`layout.MAX_LATENESS`) is found by the run of its fetch hour F, which writes R's late index
and lists R in its materialization's `late_hours` metadata ({partition key: digest of the
late landing objects}). This sensor reads the `api_logs` materializations since its cursor
and requests each listed hour once per digest (run key `<partition>:<digest>`): re-running F
lists the same digest and requests nothing new, a further late batch for R a new run of R.
R's run then reads its read window plus its late index, replaces its object with its row
count updated, and Silver and Gold re-materialize the day through their automation
(`partitions.eager_with_late_days`).
"""

import dagster as dg

from taxi_platform.defs.logs.partitions import LOGS_START

API_LOGS = dg.AssetKey("api_logs")
BATCH = 200  # materializations read per evaluation; the cursor resumes where it stopped

api_logs_job = dg.define_asset_job(
    "api_logs_job",
    selection=[API_LOGS],
    description="Bronze `api_logs` hours: late hours re-run by `api_logs_late_hours` (run key "
    "`<hour>:<digest>`), or any hours by hand and by the demo.",
)


def late_hour_requests(
    instance: dg.DagsterInstance, cursor: str | None
) -> tuple[list[dg.RunRequest], str | None]:
    """Run requests for the late hours listed since `cursor` (a storage id), the new cursor."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=API_LOGS, after_storage_id=int(cursor) if cursor else None),
        limit=BATCH,
        ascending=True,
    ).records
    requests: dict[str, dg.RunRequest] = {}
    for record in records:
        materialization = record.asset_materialization
        entry = materialization.metadata.get("late_hours") if materialization else None
        for partition, digest in (entry.value if entry else {}).items():
            if partition < f"{LOGS_START}-00:00":  # before the first partition: none to run
                continue
            run_key = f"{partition}:{digest}"
            requests[run_key] = dg.RunRequest(run_key=run_key, partition_key=partition)
    new_cursor = str(records[-1].storage_id) if records else cursor
    return list(requests.values()), new_cursor


@dg.sensor(
    job=api_logs_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-materializes each `api_logs` hour that a later fetch hour found late "
    "records for (metadata `late_hours`), once per set of late landing objects.",
)
def api_logs_late_hours(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    requests, cursor = late_hour_requests(context.instance, context.cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)
