"""Landing and `api_logs` against the real moto S3 and the log API simulator over HTTP."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
from cryptography.fernet import Fernet

from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.codec import decode_hour_object, encode_hour_object, hour_object_key
from taxi_platform.defs.logs.landing import api_logs_landing
from taxi_platform.defs.logs.layout import landing_date_prefix
from taxi_platform.defs.logs.store import read_quarantine
from taxi_platform.resources.log_api import LogApiResource
from taxi_platform_dev.domains.logs.simulator import FaultPlan
from taxi_platform_tests.logs.helpers import (
    bronze_records,
    build,
    canonical,
    check_only,
    day_start,
    poll,
    replay,
    served_by_hour,
)
from taxi_platform_tests.support import checks, materializations

HOUR = timedelta(hours=1)


def test_a_day_of_logs_gives_24_hours_equal_to_what_was_served(log_source, clean_days, lake):
    day = date(2026, 2, 2)
    clean_days(day)
    source = log_source(day, records_per_window=5)
    assert replay(source.resources, 0, 479)["batches_landed"] == 480

    result = build(source.resources, f"{day}-00:00", f"{day}-23:00")

    hours = [day_start(day) + h * HOUR for h in range(24)]
    materialized = materializations(result, api_logs)
    assert [m["partition"] for m in materialized] == [f"{h:%Y-%m-%d-%H:%M}" for h in hours]
    assert {m["key"] for m in materialized} == {hour_object_key(h) for h in hours}
    served = served_by_hour(source.simulator, range(480))
    assert set(served) == set(hours)
    for hour in hours:
        assert canonical(bronze_records(lake, hour)) == canonical(served[hour]), hour
    assert sum(m["records_written"] for m in materialized) == 480 * 5
    assert all(e.passed for e in checks(result).values()) and len(checks(result)) == 3


def test_faults_are_quarantined_the_rest_kept_and_no_loss_is_checked(log_source, clean_days, lake):
    day = date(2026, 2, 4)
    clean_days(day)
    faults = {
        201: {"bad_token"},
        203: {"malformed_json"},
        205: {"missing_field"},
        207: {"duplicate"},
        210: {"duplicate", "missing_field"},
    }
    plan = FaultPlan(at={k: frozenset(v) for k, v in faults.items()})
    source = log_source(day, records_per_window=10, faults=plan)
    replay(source.resources, 199, 220)  # hour 10 = windows 200…219, and a neighbour each side
    hour, partition = day_start(day) + 10 * HOUR, f"{day}-10:00"
    with dg.DagsterInstance.ephemeral() as instance:
        result = build(source.resources, partition, instance=instance)
        first_bytes = lake.get_bytes(hour_object_key(hour))
        quarantine = read_quarantine(lake, hour)
        _lose_a_record_and_add_a_stray(lake, hour, first_bytes, quarantine)
        tampered = checks(check_only(source.resources, instance))
        again = build(source.resources, partition, instance=instance)  # replaces, never adds

    [meta] = materializations(result, api_logs)
    counts = (meta["batches_quarantined"], meta["records_quarantined"], meta["duplicates"])
    assert counts == (2, 2, 2)
    assert meta["records_in"] == meta["records_written"] + meta["records_quarantined"] + 2
    served = served_by_hour(source.simulator, range(199, 221))[hour]
    assert canonical(bronze_records(lake, hour)) == canonical(served)  # 205, 210: rest kept
    by_window = {_window_of(doc): doc for doc in quarantine.values()}
    assert set(by_window) == {201, 203, 205, 210}
    assert by_window[201]["batch_error"]["error"] == "BadToken"
    assert by_window[203]["batch_error"]["error"] == "MalformedJson"
    for k in (205, 210):
        [bad] = by_window[k]["records"]
        assert bad["error"] == "InvalidRecord" and bad["field"] not in bad["record"]
        assert bad["field"] in bad["reason"] and bad["record"] in source.simulator.window(k).records
    assert all(e.passed for e in checks(result).values())

    assert not tampered["no_loss"].passed
    assert "landed" in tampered["no_loss"].description
    assert not tampered["key_layout"].passed and tampered["decodes"].passed

    assert lake.get_bytes(hour_object_key(hour)) == first_bytes
    assert read_quarantine(lake, hour) == quarantine
    assert all(e.passed for e in checks(again).values())


def _lose_a_record_and_add_a_stray(lake, hour, blob: bytes, quarantine: dict) -> None:
    lake.put_bytes(hour_object_key(hour), encode_hour_object(decode_hour_object(blob)[1:]))
    folder = next(iter(quarantine)).rsplit("/", 1)[0]
    lake.put_bytes(f"{folder}/{hour:%Y%m%dT%H%M%S}000000Z_stale.json", b"{}")


def _window_of(document: dict) -> int:
    """The simulator window of a quarantined batch: it was fetched 5 s after the window ended."""
    fetched = datetime.fromisoformat(document["fetched_at"])
    return (
        int((fetched - timedelta(seconds=5) - day_start(date(2026, 2, 4))) / timedelta(minutes=3))
        - 1
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_landing_stores_each_batch_once_and_catches_up_missed_windows(log_source, lake):
    clock = FakeClock()
    source = log_source(date(2026, 2, 6), clock=clock)
    window = timedelta(minutes=3).total_seconds()
    today = landing_date_prefix(datetime.now(UTC))
    before = set(lake.list_keys(today))
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            clock.now = 10 * window + 10  # windows 0…9 have closed
            first = materializations(poll(source.resources, instance), api_logs_landing)[0]
            again = materializations(poll(source.resources, instance), api_logs_landing)[0]
            clock.now += 4 * window  # four polls missed
            later = materializations(poll(source.resources, instance), api_logs_landing)[0]
        landed = set(lake.list_keys(today)) - before
    finally:
        for key in set(lake.list_keys(today)) - before:
            lake.get_client().delete_object(Bucket=lake.bucket, Key=key)

    assert (first["batches_landed"], first["cursor_window"]) == (1, 9)
    assert (again["batches_landed"], again["already_landed"], again["cursor_window"]) == (0, 1, 9)
    assert (later["batches_fetched"], later["batches_landed"], later["cursor_window"]) == (4, 4, 13)
    throwaway = Fernet(Fernet.generate_key())
    ids = {source.simulator.response(k, throwaway)["recordId"] for k in range(9, 14)}
    assert {key.rsplit("_", 1)[1].removesuffix(".json") for key in landed} == ids


def test_replayed_windows_land_once(log_source, clean_days):
    day = date(2026, 2, 7)
    clean_days(day)
    source = log_source(day)
    assert replay(source.resources, 0, 9)["batches_landed"] == 10
    second = replay(source.resources, 5, 14)
    assert (second["batches_landed"], second["already_landed"]) == (5, 5)


def test_a_failed_fetch_is_retried_then_fails_the_run_with_the_reason(resources):
    dead = LogApiResource(url="http://127.0.0.1:9/logs", retries=2, backoff_seconds=0.01)
    with dg.DagsterInstance.ephemeral() as instance:
        result = poll({**resources, "log_api": dead}, instance)
    assert not result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == 2
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error, messages = failure.step_failure_data.error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    message = "\n".join(messages)
    assert "log API http://127.0.0.1:9/logs failed 2 times" in message
    assert "TAXI_LOG_API_URL" in message
