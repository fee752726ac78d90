"""Where partitions start is configuration: each domain's first partition is its variable's
date, and a date that cannot start a partition set stops the load with one line naming it.

Subprocesses, because the partition definitions are built when their modules load.
"""

import os
import subprocess
import sys
from datetime import UTC, datetime

PRINT_FIRST_PARTITIONS = """
from taxi_platform.defs.counters.partitions import BUSINESS_DAYS, HOURS
from taxi_platform.defs.logs.partitions import daily_partitions, hourly_partitions
from taxi_platform.defs.zones.taxi_trips import TRIP_MONTHS
for p in (BUSINESS_DAYS, HOURS, daily_partitions, hourly_partitions, TRIP_MONTHS):
    print(p.get_first_partition_key())
"""


def run_with(**variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAXI_", "DAGSTER_"))}
    return subprocess.run(
        [sys.executable, "-c", PRINT_FIRST_PARTITIONS],
        env={**env, **variables},
        capture_output=True,
        text=True,
    )


def test_each_domain_starts_on_its_variable():
    result = run_with(
        TAXI_COUNTERS_FIRST_DAY="2026-02-03",
        TAXI_LOGS_FIRST_DAY="2026-04-05",
        TAXI_TRIPS_FIRST_MONTH="2024-06",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "2026-02-03",
        "2026-02-03-00:00",
        "2026-04-05",
        "2026-04-05-00:00",
        "2024-06-01",
    ]


def test_a_first_day_not_yet_closed_stops_the_load_with_one_line():
    this_month = f"{datetime.now(UTC):%Y-%m}"
    result = run_with(TAXI_TRIPS_FIRST_MONTH=this_month)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"taxi_platform.settings.ConfigError: TAXI_TRIPS_FIRST_MONTH='{this_month}' is not in "
        "the past: set when the platform's data starts (a closed period) — first month of the "
        "`taxi_trips` partitions (TLC's Yellow Taxi files start 2009-01)"
    )
