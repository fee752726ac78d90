"""The clicks domain in the demo: simulated days of click logs through Silver and the marts.

The days are the latest UTC days (as many as the demo simulates) whose 24 bronze hour
objects are in the lake: the days the logs domain's demo step put there (the last through
landing and `api_logs`, the ones before as bronze written from the same simulator). When the
lake holds no complete day (that step has not run), `prepare` writes one itself (the last
complete UTC day) from the logs demo's simulator (its rate and rhythm), exactly as bronze
lays it out. Silver takes all days in one run (each day replaced on its own), the marts
all days in one engine run (DuckDB by default, `TAXI_ENGINE`).
"""

import os
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime

import boto3

from taxi_platform.defs.clicks.click_events import day_hours
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.logs.partitions import daily_partitions
from taxi_platform_dev.domains import DemoPlan
from taxi_platform_dev.domains.clicks.simulated_bronze import write_hours
from taxi_platform_dev.domains.logs.demo import demo_config
from taxi_platform_dev.domains.logs.simulator import LogApiSimulator

_HOUR_OBJECT = re.compile(r"^logs/(\d{4})/(\d{2})/(\d{2})/\d{2}/api_logs\.jsonl\.gz$")


def complete_days(keys: Iterable[str]) -> list[date]:
    """UTC days with all 24 hour objects among the lake keys, ascending."""
    hours = Counter(
        date(*map(int, match.groups())) for match in map(_HOUR_OBJECT.match, keys) if match
    )
    return sorted(day for day, count in hours.items() if count == 24)


def _bronze_keys() -> list[str]:
    client = boto3.client("s3", region_name=os.environ["AWS_REGION"])
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=os.environ["TAXI_LAKE_BUCKET"], Prefix="logs/"
    )
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def demo_days(days: int) -> list[str]:
    return [day.isoformat() for day in complete_days(_bronze_keys())[-days:]]


def prepare_days(days: int) -> None:
    """Use the logs demo's days, or write a simulated day of bronze when there is none."""
    if found := demo_days(days):
        print(f"    bronze days {found[0]} … {found[-1]} found in the lake", flush=True)
        return
    fallback = date.fromisoformat(daily_partitions.get_last_partition_key())
    start = datetime(fallback.year, fallback.month, fallback.day, tzinfo=UTC)
    simulator = LogApiSimulator(demo_config(start))
    client = boto3.client("s3", region_name=os.environ["AWS_REGION"])
    written = write_hours(client, os.environ["TAXI_LAKE_BUCKET"], simulator, day_hours(fallback))
    print(
        f"    no bronze day in the lake: simulated {fallback} "
        f"({sum(written.values()):,} records in 24 hour objects)",
        flush=True,
    )


def plan(days: int) -> DemoPlan:
    def every_day() -> list[tuple[str, str]]:
        found = demo_days(days)  # consecutive: the latest complete days
        return [(found[0], found[-1])]  # one run of all days (`BackfillPolicy.single_run`)

    return DemoPlan(
        partitions={"click_events": every_day, MART_NAMES[0]: every_day},
        prepare={"click_events": lambda: prepare_days(days)},
    )
