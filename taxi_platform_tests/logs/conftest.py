"""Fixtures of the log pipeline tests: simulators over HTTP with the stack's key, a clean lake.

The pure tests of this folder need none of them; the pipeline tests use the session stack's
moto S3 and their own days (2026-02-xx), deleted before and after.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import dagster as dg
import pytest
from cryptography.fernet import Fernet

from taxi_platform.resources.log_api import LogApiResource
from taxi_platform_dev.domains.logs.simulator import (
    FaultPlan,
    LogApiSimulator,
    SimulatorConfig,
    start_in_thread,
)
from taxi_platform_tests.logs.helpers import day_prefixes, day_start


@dataclass
class LogSource:
    simulator: LogApiSimulator
    url: str
    resources: dict[str, Any]  # the code location's, with `log_api` pointing here


@pytest.fixture
def log_source(stack_env, resources) -> Iterator[Callable[..., LogSource]]:
    """Start simulators whose window 0 begins at a day's 00:00 UTC; stopped at teardown."""
    stops = []

    def start(
        day: date,
        records_per_window: int = 5,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 11,
    ) -> LogSource:
        config = SimulatorConfig(
            start=day_start(day),
            seed=seed,
            records_per_window=records_per_window,
            faults=faults or FaultPlan(),
        )
        simulator = LogApiSimulator(config, clock=clock)
        url, stop = start_in_thread(simulator, Fernet(stack_env["TAXI_LOG_FERNET_KEY"]))
        stops.append(stop)
        api = LogApiResource(
            url=f"{url}/logs", fernet_key=dg.EnvVar("TAXI_LOG_FERNET_KEY"), backoff_seconds=0.01
        )
        return LogSource(simulator, url, {**resources, "log_api": api})

    yield start
    for stop in stops:
        stop()


def delete_prefixes(lake, prefixes: list[str]) -> None:
    client = lake.get_client()
    for prefix in prefixes:
        for key in lake.list_keys(prefix):
            client.delete_object(Bucket=lake.bucket, Key=key)


@pytest.fixture
def clean_days(lake) -> Iterator[Callable[..., None]]:
    """`clean_days(day, …)`: the lake holds nothing of those days now and after the test."""
    prefixes: list[str] = []

    def clean(*days: date) -> None:
        new = [p for day in days for p in day_prefixes(day)]
        prefixes.extend(new)
        delete_prefixes(lake, new)

    yield clean
    delete_prefixes(lake, prefixes)
