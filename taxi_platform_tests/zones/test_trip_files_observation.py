"""`tlc/yellow_trip_files` observed on the real (moto) lake: newest month, count and bytes
equal a listing read here, and a new month is recorded."""

import re

import dagster as dg

from taxi_platform.defs.zones.observations import tlc_trip_files_observation

OLDER = "raw/nyc_taxi/yellow_tripdata_2011-03.parquet"
TRIP_FILE = re.compile(r"raw/nyc_taxi/yellow_tripdata_(\d{4}-\d{2})\.parquet")


def observe(lake, cursor=None):
    with dg.build_sensor_context(cursor=cursor, resources={"lake": lake}) as context:
        result = tlc_trip_files_observation(context)
    seen = [{k: v.value for k, v in e.metadata.items()} for e in result.asset_events]
    return seen, result.cursor


def listed(lake) -> dict[str, int]:
    response = lake.get_client().list_objects_v2(Bucket=lake.bucket, Prefix="raw/nyc_taxi/")
    return {
        match[1]: obj["Size"]
        for obj in response.get("Contents", [])
        if (match := TRIP_FILE.fullmatch(obj["Key"]))
    }


def test_the_trip_files_are_observed_as_the_lake_lists_them(lake):
    client = lake.get_client()
    client.put_object(Bucket=lake.bucket, Key=OLDER, Body=b"x" * 10)  # the lake is not empty
    try:
        [first], cursor = observe(lake)
        files = listed(lake)
        assert first == {
            "newest_month": max(files),
            "months": len(files),
            "bytes": sum(files.values()),
        }
        assert observe(lake, cursor)[0] == []
        newer = "raw/nyc_taxi/yellow_tripdata_2031-12.parquet"
        client.put_object(Bucket=lake.bucket, Key=newer, Body=b"y" * 1234)
        try:
            [second], _ = observe(lake, cursor)
        finally:
            client.delete_object(Bucket=lake.bucket, Key=newer)
        assert second == {
            "newest_month": "2031-12",
            "months": first["months"] + 1,
            "bytes": first["bytes"] + 1234,
        }
    finally:
        client.delete_object(Bucket=lake.bucket, Key=OLDER)
