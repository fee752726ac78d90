"""Freshness policies: how long an asset may go without a materialization before Dagster's
freshness daemon marks it WARN, then FAIL (asset page, asset health, alerting).

Why stated as missed runs of a cadence: the cadence constant is the one the schedule or the
partitions are built from, so a cadence and its policy cannot drift apart, and the UI tells a
stopped schedule or a stuck daemon from a quiet day without anyone reading run lists.
"""

from datetime import timedelta

import dagster as dg


def missed_runs(
    cadence: timedelta, *, fail: int, warn: int | None = None, run_time: timedelta = timedelta(0)
) -> dg.FreshnessPolicy:
    """FAIL once `fail` runs in a row are missing, WARN after `warn`; `run_time` is how long
    after its tick a run's materialization may land (waits, retries, a Spark job)."""
    return dg.FreshnessPolicy.time_window(
        fail_window=cadence * fail + run_time,
        warn_window=cadence * warn + run_time if warn is not None else None,
    )


def every_minutes_cron(cadence: timedelta) -> str:
    """The cron of a cadence of whole minutes that divides an hour (`*/5 * * * *`); an hour is
    `0 * * * *` (Dagster reads `*/60` as a wider interval than it is)."""
    minutes, remainder = divmod(int(cadence.total_seconds()), 60)
    if remainder or minutes < 1 or 60 % minutes:
        raise ValueError(f"{cadence} is not a whole number of minutes dividing an hour")
    return {1: "* * * * *", 60: "0 * * * *"}.get(minutes, f"*/{minutes} * * * *")
