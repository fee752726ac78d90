"""Which TLC trip months the lake holds, observed every ten minutes: the newest month, how
many and their size, on `tlc/yellow_trip_files`' page in the UI (recorded when it changes).
The arrival sensor turns the same listing into `taxi_trips` runs."""

import dagster as dg

from taxi_platform.defs.zones import sources
from taxi_platform.defs.zones.trip_files import TRIPS_PREFIX, month_of_key
from taxi_platform.observations import OBSERVES, observation_result
from taxi_platform.resources.lake import LakeResource


@dg.sensor(
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    tags=OBSERVES,
    description=f"Observes the TLC trip files under `{TRIPS_PREFIX}`: newest month, count, bytes.",
)
def tlc_trip_files_observation(context: dg.SensorEvaluationContext, lake: LakeResource):
    files = {
        month: obj["Size"]
        for obj in lake.list_objects(TRIPS_PREFIX)
        if (month := month_of_key(obj["Key"]))
    }
    figures = {
        "newest_month": max(files, default="none"),
        "months": len(files),
        "bytes": sum(files.values()),
    }
    return observation_result({sources.tlc_trip_files.key: figures}, context.cursor)
