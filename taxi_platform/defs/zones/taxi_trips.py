"""`taxi_trips`: one monthly partition per TLC trip file in the lake, and the arrival sensor.

The file *is* the data (TLC publishes it; the generator stands in locally), so
materializing a partition registers and validates the month's file: which published schema
it has, its rows, size and ETag, and how many pickups fall outside its month. The sensor
lists `raw/nyc_taxi/` and requests the partition of every new or re-published month once
(its cursor maps month → ETag), like Dagster University's NYC-taxi project.
"""

import json

import dagster as dg

from taxi_platform.defs.zones import DOMAIN, sources
from taxi_platform.defs.zones.trip_files import (
    TRIPS_PREFIX,
    changed_months,
    summarize_trip_file,
    trip_key,
)
from taxi_platform.resources.lake import LakeResource
from taxi_platform.settings import first_day

# From `TAXI_TRIPS_FIRST_MONTH` (TLC's Yellow Taxi records start in 2009-01, the default); a
# month is complete (a partition) once it ended.
TRIP_MONTHS = dg.MonthlyPartitionsDefinition(
    start_date=first_day("TAXI_TRIPS_FIRST_MONTH").isoformat()
)
MAX_OUTSIDE_SHARE = 0.01  # TLC files carry a few stray dates; more means a wrong file


def partition_of_month(month: str) -> str:
    return f"{month}-01"


@dg.asset(
    partitions_def=TRIP_MONTHS,
    group_name="zones",
    deps=[sources.tlc_trip_files],
    **DOMAIN.attributes("raw", tier=2),
    kinds={"s3", "parquet"},
    description=(
        f"TLC Yellow Taxi trips of one month: `s3://<lake>/{TRIPS_PREFIX}"
        "yellow_tripdata_YYYY-MM.parquet`, as TLC publishes it (or the generator writes it). "
        "Materializing validates the file against the published schemas (2023-01, 2023-02 and "
        "2025-01 variants) and records rows, bytes and ETag."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "tlc_schema",
            asset="taxi_trips",
            blocking=True,
            description="Columns, order and types are one of TLC's published variants.",
        ),
        dg.AssetCheckSpec(
            "pickups_in_month",
            asset="taxi_trips",
            description=f"At most {MAX_OUTSIDE_SHARE:.0%} of the rows pick up outside the "
            "file's month (a 0-row month is a valid, empty month).",
        ),
    ],
)
def taxi_trips(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    month = context.partition_time_window.start.strftime("%Y-%m")
    key = trip_key(month)
    client = lake.get_client()
    try:
        response = client.get_object(Bucket=lake.bucket, Key=key)
    except client.exceptions.NoSuchKey:
        raise dg.Failure(
            f"s3://{lake.bucket}/{key} does not exist: upload TLC's file for {month} there "
            f"(or generate one: taxi-platform simulate trips --month {month})",
            metadata={"s3_key": key},
        ) from None
    data = response["Body"].read()
    summary = summarize_trip_file(data, month)
    if not summary.accepted:
        context.log.error(
            f"s3://{lake.bucket}/{key} rejected ({summary.differences[0]}): zone_models leaves "
            f"{month} out of its window until a valid file is materialized"
        )
    outside = {
        "pickups_outside_month": summary.pickups_outside_month,
        "outside_share": summary.outside_share,
    }
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.rows,
            "dagster/uri": f"s3://{lake.bucket}/{key}",
            "size_bytes": len(data),
            "etag": response["ETag"].strip('"'),
            "last_modified": str(response["LastModified"]),
            "schema_variant": summary.variant or "unknown",
            # Read by zone_models: a month whose file is not accepted stays out of its window.
            "accepted": summary.accepted,
            "rejection": summary.unreadable
            or ("; ".join(summary.differences) if not summary.accepted else "-"),
            "first_pickup": summary.first_pickup or "-",
            "last_pickup": summary.last_pickup or "-",
            **outside,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="tlc_schema",
                passed=summary.variant is not None,
                metadata={
                    "variant": summary.variant or "unknown",
                    "differences": dg.MetadataValue.json(summary.differences),
                },
            ),
            dg.AssetCheckResult(
                check_name="pickups_in_month",
                passed=summary.unreadable is None and summary.outside_share <= MAX_OUTSIDE_SHARE,
                severity=dg.AssetCheckSeverity.WARN
                if summary.unreadable is None
                else dg.AssetCheckSeverity.ERROR,
                metadata={"rows": summary.rows, **outside},
            ),
        ],
    )


taxi_trips_job = dg.define_asset_job(
    "taxi_trips_job",
    selection=[taxi_trips],
    description="Registers and validates months of TLC trip files in the lake.",
)


@dg.sensor(
    job=taxi_trips_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Requests the `taxi_trips` partition of each new or changed file under "
    f"`{TRIPS_PREFIX}` once (cursor: month → ETag).",
)
def taxi_trips_arrivals(context: dg.SensorEvaluationContext, lake: LakeResource):
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for month, etag in changed_months(lake.list_objects(TRIPS_PREFIX), seen):
        partition = partition_of_month(month)
        if not TRIP_MONTHS.has_partition_key(partition):
            # Not a partition yet (a month still running) or before the first: retried next tick.
            context.log.info(f"{trip_key(month)} has no taxi_trips partition yet; skipped")
            continue
        requests.append(dg.RunRequest(partition_key=partition, run_key=f"{month}:{etag}"))
        seen[month] = etag
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(seen, sort_keys=True),
        skip_reason=None if requests else "no new or changed trip files",
    )
