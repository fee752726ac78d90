"""Demo steps of the zones domain: the zone table, a generated month of trips, the models."""

import os

import boto3

from taxi_platform.demo import DemoStep
from taxi_platform.zones.taxi_trips import TRIP_MONTHS
from taxi_platform.zones.trips_generator import generate_month, upload_month

DEMO_TRIPS = 1_000_000


def _latest_partition() -> str:
    """The last complete month: what TLC would have published most recently."""
    return TRIP_MONTHS.get_last_partition_key()


def _upload_demo_month() -> None:
    month = _latest_partition()[:7]
    client = boto3.client("s3", region_name=os.environ["AWS_REGION"])
    upload_month(client, os.environ["TAXI_LAKE_BUCKET"], generate_month(month, DEMO_TRIPS), month)


def steps(days: int) -> list[DemoStep]:
    """The same whatever `days`: one generated month is what the models need."""
    return STEPS


STEPS = [
    DemoStep("TLC zone table → lake and PostgreSQL", ["taxi_zones"]),
    DemoStep(
        f"Generated TLC month ({DEMO_TRIPS:,} trips) → taxi_trips",
        ["taxi_trips"],
        partitions=lambda: [_latest_partition()],
        prepare=_upload_demo_month,
    ),
    DemoStep(
        "Spark zone models (every month in the lake) → expected_pickups, adjacent_zones",
        ["expected_pickups", "adjacent_zones"],
    ),
]
