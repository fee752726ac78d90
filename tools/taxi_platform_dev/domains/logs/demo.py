"""Demo steps of the logs domain: simulated days from the log API to bronze hours.

One log API simulator, window 0 at 00:00 UTC of the first simulated day (the last complete
UTC days, so the UI shows recent hours filled; the click rhythm on the business time zone's
clock, `RECORDS_PER_WINDOW` on average over a week), is the source of every day. The days
before the last are history from before the demo: their bronze hours are written straight
from the simulator as `api_logs` lays them out (`simulated_bronze`: the codec's compression
and hour object, at its key), with no landing object and no `api_logs` run, so their hourly
partitions stay unmaterialized in the UI (nothing claims a run that did not happen); Silver
and the marts read them like any bronze. The last day goes the whole way: the landing
schedule would need a day to poll it, so the demo replays it, serving its 480 windows (a few
faults of every kind) over HTTP from this process on a free port with the stack's key, and
one landing run fetches them with `?window=k`, storing each as if polled on schedule
(`landing` replay). Then `api_logs` builds that day's 24 hours in one run (with its checks).
The `log_api` companion that `demo` starts serves the present and is left to the schedule.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import boto3
import dagster as dg
from cryptography.fernet import Fernet

from taxi_platform.defs.clicks.click_events import day_hours
from taxi_platform.defs.logs import landing, schedules
from taxi_platform.defs.logs.partitions import daily_partitions
from taxi_platform.resources.log_api import LogApiResource
from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import timezone
from taxi_platform_dev.domains import DemoPlan, demo_instance, run_job
from taxi_platform_dev.domains.clicks.simulated_bronze import write_hours
from taxi_platform_dev.domains.logs.simulator import (
    FAULT_KINDS,
    RETURNING_SHARE,
    FaultPlan,
    LogApiSimulator,
    SimulatorConfig,
    start_in_thread,
)
from taxi_platform_dev.domains.rhythm import CLICK_RHYTHM

WINDOWS = 480  # 24 h / 3 min
# A quarter of the old API's 100: a week of days stays quick and every chart keeps its shape.
RECORDS_PER_WINDOW = 25
FAULTS = FaultPlan(kinds=frozenset(FAULT_KINDS), rate=0.01)
NO_FAULTS = FaultPlan()


def simulated_days(days: int) -> list[date]:
    """The last `days` complete UTC days, oldest first."""
    last = date.fromisoformat(daily_partitions.get_last_partition_key())
    return [last - timedelta(days=days - 1 - i) for i in range(days)]


def demo_config(start: datetime, faults: FaultPlan = NO_FAULTS) -> SimulatorConfig:
    """The demo's log API from `start`: its rate, the click rhythm in TAXI_TIMEZONE."""
    rhythm = CLICK_RHYTHM.in_zone(timezone())
    return SimulatorConfig(
        start=start,
        records_per_window=RECORDS_PER_WINDOW,
        faults=faults,
        rhythm=rhythm,
        returning_share=RETURNING_SHARE,
    )


def land_days(days: int) -> None:
    """Bronze of the days before the last from the simulator; the last day's windows
    replayed from the same simulator, with faults, into landing (one run)."""
    simulated = simulated_days(days)
    first, last = simulated[0], simulated[-1]
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    started = time.monotonic()
    if days > 1:
        history = [hour for day in simulated[:-1] for hour in day_hours(day)]
        client = boto3.client("s3", region_name=os.environ["AWS_REGION"])
        bucket = os.environ["TAXI_LAKE_BUCKET"]
        written = write_hours(client, bucket, LogApiSimulator(demo_config(start)), history)
        print(
            f"    bronze of {days - 1} day(s) from {first} written from the simulator "
            f"({sum(written.values()):,} records in {len(written)} hour objects) in "
            f"{time.monotonic() - started:.1f}s",
            flush=True,
        )
    simulator = LogApiSimulator(demo_config(start, FAULTS))
    url, stop = start_in_thread(simulator, Fernet(os.environ["TAXI_LOG_FERNET_KEY"]))
    resources = {
        **build_resources(),
        "log_api": LogApiResource(url=f"{url}/logs", fernet_key=dg.EnvVar("TAXI_LOG_FERNET_KEY")),
    }
    windows = range((days - 1) * WINDOWS, days * WINDOWS)
    config = {"replay_first_window": windows[0], "replay_last_window": windows[-1]}
    started = time.monotonic()
    try:
        with demo_instance() as instance:
            result = run_job(
                schedules.api_logs_landing_job,
                [landing.api_logs_landing],
                resources,
                instance,
                ops={"api_logs_landing": {"config": config}},
            )
    finally:
        stop()
    [landed] = result.asset_materializations_for_node("api_logs_landing")
    faulty = sum(bool(simulator.window(k).faults) for k in windows)
    print(
        f"    landed {landed.metadata['batches_landed'].value} batches of {last} "
        f"({landed.metadata['bytes'].value / 1e6:.1f} MB, {faulty} with injected "
        f"faults) in {time.monotonic() - started:.1f}s",
        flush=True,
    )


def plan(days: int) -> DemoPlan:
    def last_day() -> list[tuple[str, str]]:
        day = simulated_days(days)[-1]
        return [(f"{day:%Y-%m-%d}-00:00", f"{day:%Y-%m-%d}-23:00")]  # its 24 hours, one run

    return DemoPlan(
        partitions={"api_logs": last_day},
        prepare={"api_logs": lambda: land_days(days)},
        prepared=frozenset({"api_logs_landing"}),
    )
