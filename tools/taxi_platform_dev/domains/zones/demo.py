"""The zones domain in the demo: a generated month of TLC trips, uploaded before `taxi_trips`."""

import os

import boto3

from taxi_platform.defs.zones.taxi_trips import TRIP_MONTHS
from taxi_platform_dev.domains import DemoPlan
from taxi_platform_dev.domains.zones.simulator import generate_month, upload_month

DEMO_TRIPS = 1_000_000


def _latest_partition() -> str:
    """The last complete month: what TLC would have published most recently."""
    return TRIP_MONTHS.get_last_partition_key()


def _upload_demo_month() -> None:
    month = _latest_partition()[:7]
    client = boto3.client("s3", region_name=os.environ["AWS_REGION"])
    upload_month(client, os.environ["TAXI_LAKE_BUCKET"], generate_month(month, DEMO_TRIPS), month)


def plan(days: int) -> DemoPlan:
    """The same whatever `days`: one generated month is what the models need."""
    return DemoPlan(
        order=["taxi_zones", "taxi_trips", "expected_pickups"],
        partitions={"taxi_trips": lambda: [_latest_partition()]},
        prepare={"taxi_trips": _upload_demo_month},
    )
