"""Pure logic of landing and bronze: keys, hour attribution, the window cursor, the fetch wait."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from taxi_platform.defs.logs.bronze import LandedBatch, build_hours
from taxi_platform.defs.logs.codec import decompress_records
from taxi_platform.defs.logs.cursor import (
    plan_catch_up,
    replay_fetched_at,
    seconds_to_wait,
)
from taxi_platform.defs.logs.layout import (
    MAX_LATENESS,
    attributed_hour,
    batch_id_of,
    fetch_hours,
    landing_key,
    landing_of_late_key,
    late,
    late_key,
    parse_landing_key,
    quarantine_key,
)

H9 = datetime(2026, 2, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)
KEY = Fernet.generate_key()


def record(at: datetime, query: str = "asthma") -> dict:
    return {
        "user_id": "ab" * 32,
        "session_id": "s1",
        "method": "GET",
        "url": "/search?q=" + query,
        "query": query,
        "clinical_area": "Pulmonology",
        "inDate": at.isoformat(timespec="microseconds"),
    }


def batch(fetched_at: datetime, records: list, batch_id: str = "b1") -> LandedBatch:
    body = json.dumps(
        {"recordId": batch_id, "data": Fernet(KEY).encrypt(json.dumps(records).encode()).decode()}
    )
    return LandedBatch(parse_landing_key(landing_key(fetched_at, batch_id)), body.encode())


def test_landing_keys_round_trip_and_reject_other_layouts():
    at = datetime(2026, 2, 1, 9, 3, 5, 123456, tzinfo=UTC)
    key = landing_key(at, "r-1")
    assert key == "landing/api_logs/2026-02-01/09/20260201T090305123456Z_r-1.json"
    assert parse_landing_key(key).fetched_at == at
    assert parse_landing_key(key.replace("/09/", "/10/")) is None  # folder ≠ fetch time
    assert parse_landing_key("landing/api_logs/2026-02-01/09/notes.txt") is None
    assert quarantine_key(H9, parse_landing_key(key)) == (
        "quarantine/api_logs/2026/02/01/09/20260201T090305123456Z_r-1.json"
    )


def test_batch_id_is_the_record_id_or_a_stable_hash():
    assert batch_id_of(b'{"recordId": "7f1c-aa", "data": "x"}') == "7f1c-aa"
    for body in (b"not json", b'{"recordId": "../../etc"}', b"[1]"):
        assert batch_id_of(body) == batch_id_of(body)
        assert batch_id_of(body).startswith("sha256-")


@pytest.mark.parametrize(
    "fetched,event,owner",
    [
        (H9 + timedelta(minutes=3), H9, H9),  # on time
        (H9 + timedelta(hours=1, seconds=5), H9, H9),  # last window of 09, fetched at 10:00:05
        (H9 + timedelta(hours=1, minutes=9), H9, H9),  # within the 10-minute grace
        (H9 + timedelta(hours=1, minutes=10), H9, H9 + HOUR),  # late: the fetch hour owns it
        (H9 + timedelta(minutes=30), H9 + HOUR, H9),  # from the future: the fetch hour
        (H9 + timedelta(minutes=30), None, H9),  # no usable inDate: the fetch hour
    ],
)
def test_every_record_has_exactly_one_hour(fetched, event, owner):
    assert attributed_hour(fetched, event) == owner


def test_an_hour_reads_its_fetch_hour_and_the_next():
    assert fetch_hours([H9]) == [H9, H9 + HOUR]
    assert fetch_hours([H9, H9 + HOUR, H9 + 2 * HOUR]) == [H9 + i * HOUR for i in range(4)]


def test_a_batch_spanning_two_hours_is_split_and_counted_once():
    """A window from 09:58 to 10:01, fetched at 10:01:05: each hour gets its own records,
    and the pair of outputs accounts for every record exactly once."""
    records = [record(H9 + timedelta(minutes=58)), record(H9 + timedelta(minutes=61), "copd")]
    landed = [batch(H9 + timedelta(minutes=61, seconds=5), [*records, records[0]])]
    run = build_hours(landed, [H9, H9 + HOUR], Fernet(KEY))
    nine, ten = run.hours[H9], run.hours[H9 + HOUR]
    assert (len(nine.records), nine.duplicates, nine.landed) == (1, 1, 2)
    assert (len(ten.records), ten.duplicates, ten.landed) == (1, 0, 1)
    alone = build_hours(landed, [H9], Fernet(KEY)).hours[H9]  # the same, run hour by hour
    assert (alone.landed, alone.duplicates, alone.records) == (2, 1, nine.records)


def test_late_records_go_to_their_hour_bad_and_future_ones_to_the_fetch_hours_quarantine():
    late = record(H9 - HOUR)  # an 08:00 record fetched at 09:30: 08:00's, through the index
    too_late = record(H9 - 8 * 24 * HOUR)  # fetched 8 days later: past MAX_LATENESS
    future = record(H9 + 2 * HOUR)
    invalid = {**record(H9 + timedelta(minutes=20)), "method": "PUT"}
    fetched = H9 + timedelta(minutes=30)
    records = [late, too_late, future, invalid, record(H9 + timedelta(minutes=25))]
    landed = [
        batch(fetched, records),
        LandedBatch(parse_landing_key(landing_key(H9 + timedelta(minutes=33), "b2")), b"{}"),
    ]
    run = build_hours(landed, [H9], Fernet(KEY))
    hour = run.hours[H9]
    assert (hour.landed, len(hour.records), hour.late) == (4, 1, 0)
    assert (hour.quarantined_records, hour.quarantined_batches) == (3, 1)
    errors = sorted(r["error"] for doc in hour.quarantine.values() for r in doc["records"])
    assert errors == ["FromTheFuture", "InvalidRecord", "TooLate"]
    [bad] = [doc for doc in hour.quarantine.values() if doc["batch_error"]]
    assert bad["batch_error"]["error"] == "MalformedResponse"
    assert hour.late_index == {H9 - HOUR: {landed[0].landing}}

    eight = build_hours(landed[:1], [H9 - HOUR], Fernet(KEY)).hours[H9 - HOUR]  # its index
    assert (eight.landed, eight.late, eight.quarantine) == (1, 1, {})
    assert decompress_records(eight.records) == ([late], [])


@pytest.mark.parametrize(
    "fetched,is_late",
    [
        (H9 + timedelta(hours=1, minutes=9), False),  # in time
        (H9 + timedelta(hours=1, minutes=10), True),
        (H9 + MAX_LATENESS - timedelta(microseconds=1), True),
        (H9 + MAX_LATENESS, False),  # too late
    ],
)
def test_late_is_after_the_read_window_and_before_max_lateness(fetched, is_late):
    assert late(H9, fetched) is is_late


def test_late_index_keys_name_their_landing_object():
    landing = parse_landing_key(landing_key(H9 + 50 * HOUR, "r-1"))
    key = late_key(H9, landing)
    assert key == "late/api_logs/2026/02/01/09/20260203T110000000000Z_r-1.json"
    assert landing_of_late_key(key) == landing
    assert landing_of_late_key("late/api_logs/2026/02/01/09/notes.txt") is None


def test_catch_up_plans_the_missed_windows_and_moves_the_cursor():
    assert plan_catch_up(None, 12, 12, 480).windows == []  # first run: start from here
    assert plan_catch_up(None, 12, 12, 480).cursor == 12
    plan = plan_catch_up(7, 12, 12, 480)
    assert (plan.windows, plan.cursor) == ([8, 9, 10, 11], 12)
    assert plan_catch_up(12, 12, 12, 480).windows == []  # the same window again
    limited = plan_catch_up(0, 12, 12, 5)
    assert (limited.windows, limited.cursor) == ([1, 2, 3, 4, 5], 5)
    restarted = plan_catch_up(900, 3, 3, 480)
    assert (restarted.windows, restarted.cursor, restarted.restarted) == ([], 3, True)
    assert plan_catch_up(7, None, None, 480).cursor is None  # an API without window numbers


def test_the_fetch_waits_for_second_five_only_when_early():
    assert seconds_to_wait(datetime(2026, 2, 1, 9, 3, 1, 500000, tzinfo=UTC), 5) == 3.5
    assert seconds_to_wait(datetime(2026, 2, 1, 9, 3, 7, tzinfo=UTC), 5) == 0


def test_replay_fetches_each_window_five_seconds_after_it_closed():
    body = json.dumps({"ArrivalTimeStamp": "2026-02-01T09:03:00+00:00"}).encode()
    assert replay_fetched_at(body, 5) == H9 + timedelta(minutes=3, seconds=5)
    with pytest.raises(ValueError, match="ArrivalTimeStamp"):
        replay_fetched_at(b"{}", 5)
