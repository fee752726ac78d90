"""Helpers of the log pipeline tests: the source's own expectations, runs, lake clean-up."""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg

from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.checks import api_logs_checks
from taxi_platform.defs.logs.codec import (
    decode_hour_object,
    decompress_records,
    encode_hour_object,
    hour_object_key,
)
from taxi_platform.defs.logs.landing import api_logs_landing
from taxi_platform.defs.logs.layout import batch_id_of, landing_key
from taxi_platform_dev.domains.logs.simulator import LogApiSimulator
from taxi_platform_tests.support import QUIET, materializations

UNREADABLE = {"bad_token", "malformed_json"}


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_prefixes(day: date) -> list[str]:
    """Everything the pipeline writes for `day` (the last window lands the next day)."""
    nxt = day + timedelta(days=1)
    return [
        f"landing/api_logs/{day}/",
        f"landing/api_logs/{nxt}/",
        f"logs/{day:%Y/%m/%d}/",
        f"quarantine/api_logs/{day:%Y/%m/%d}/",
        f"late/api_logs/{day:%Y/%m/%d}/",
    ]


def silver_day_prefixes(day: date) -> list[str]:
    """What landing, bronze and Silver write for `day`, quarantines included."""
    return [
        f"landing/api_logs/{day}/",
        f"logs/{day:%Y/%m/%d}/",
        f"quarantine/api_logs/{day:%Y/%m/%d}/",
        f"silver/click_events/event_date={day}/",
        f"quarantine/click_events/event_date={day}/",
    ]


def other_hours_empty(lake, hour: datetime) -> None:
    """Empty bronze objects for the other 23 hours of `hour`'s day: Silver's day is complete."""
    start = day_start(hour.date())
    for h in range(24):
        if start + timedelta(hours=h) != hour:
            key = hour_object_key(start + timedelta(hours=h))
            lake.put_bytes(key, encode_hour_object([]), "application/gzip")


def land_late(lake, simulator: LogApiSimulator, fernet, windows: Iterable[int], at: datetime):
    """Land `windows` as a poll at `at` would have (one second apart): late, out of order.
    The simulator records them as served, like any response."""
    keys = []
    for n, k in enumerate(windows):
        body = json.dumps(simulator.response(k, fernet)).encode()
        key = landing_key(at + timedelta(seconds=n), batch_id_of(body))
        lake.put_bytes(key, body, "application/json")
        keys.append(key)
    return keys


def canonical(records: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in records)


def served_by_hour(simulator: LogApiSimulator, windows: Iterable[int]) -> dict[datetime, list]:
    """What bronze must hold, from the simulator's own record lists: every record served in a
    readable batch, except those it broke on purpose, once, by the UTC hour of its inDate."""
    hours: dict[datetime, dict[str, dict]] = defaultdict(dict)
    for k in windows:
        window = simulator.window(k)
        if window.faults & UNREADABLE:
            continue
        for position, rec in enumerate(window.records):
            if window.faulty_records.get(position) == "missing_field":
                continue
            hour = datetime.fromisoformat(rec["inDate"]).astimezone(UTC)
            hours[hour.replace(minute=0, second=0, microsecond=0)][
                json.dumps(rec, sort_keys=True)
            ] = rec
    return {hour: list(records.values()) for hour, records in hours.items()}


def bronze_records(lake, hour: datetime) -> list[dict]:
    records, rejected = decompress_records(
        decode_hour_object(lake.get_bytes(hour_object_key(hour)))
    )
    assert not rejected
    return records


def replay(
    resources: Mapping[str, Any],
    first: int,
    last: int,
    instance: dg.DagsterInstance | None = None,
) -> dict[str, Any]:
    """One landing run that replays windows first…last; its metadata."""
    config = {"replay_first_window": first, "replay_last_window": last}
    result = dg.materialize(
        [api_logs_landing],
        resources=dict(resources),
        instance=instance,
        run_config={**QUIET, "ops": {api_logs_landing.op.name: {"config": config}}},
    )
    return materializations(result, api_logs_landing)[0]


def poll(
    resources: Mapping[str, Any], instance: dg.DagsterInstance, **config
) -> dg.ExecuteInProcessResult:
    """One landing run as the schedule makes it (without the wait for second 5)."""
    return dg.materialize(
        [api_logs_landing],
        resources=dict(resources),
        instance=instance,
        run_config={
            **QUIET,
            "ops": {api_logs_landing.op.name: {"config": {"fetch_second": 0, **config}}},
        },
        raise_on_error=False,
    )


def build(
    resources: Mapping[str, Any],
    first: str,
    last: str | None = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """`api_logs` (with its checks) for one hour, or first…last in one run as a backfill does."""
    if last is None:
        where: dict[str, Any] = {"partition_key": first}
    else:
        where = {
            "tags": {
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            }
        }
    return dg.materialize(
        [api_logs, api_logs_checks],
        resources=dict(resources),
        instance=instance,
        run_config=QUIET,
        raise_on_error=raise_on_error,
        **where,
    )


def check_only(resources: Mapping[str, Any], instance: dg.DagsterInstance):
    """The three checks of `api_logs` alone, as the UI runs them: on the latest hour."""
    return dg.materialize(
        [api_logs, api_logs_checks],
        selection=dg.AssetSelection.checks_for_assets(api_logs),
        resources=dict(resources),
        instance=instance,
        run_config=QUIET,
        raise_on_error=False,
    )
