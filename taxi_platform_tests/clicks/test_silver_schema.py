"""Silver typing and deduplication on hand-made records (pure, no stack)."""

from datetime import UTC, date, datetime

import pytest

from taxi_platform.defs.clicks.click_events import missing_hours_message
from taxi_platform.defs.clicks.silver_schema import SILVER_SCHEMA, drop_exact_duplicates, hour_table
from taxi_platform_dev.domains.clicks.demo import complete_days

HOUR = datetime(2026, 3, 1, 9, tzinfo=UTC)
USER = "ab" * 32
SEARCH = {
    "user_id": USER,
    "session_id": "s1",
    "method": "POST",
    "url": "/search?q=gout",
    "query": "gout",
    "clinical_area": "Rheumatology",
    "inDate": "2026-03-01T18:15:02.123456+09:00",
}
VIEW = {
    "user_id": USER,
    "session_id": "s1",
    "method": "GET",
    "url": "/doc/7",
    "document_id": 7,
    "title": "Gout",
    "inDate": "2026-03-01T04:59:59.999999-04:30",
}


def test_records_are_typed():
    table = hour_table([SEARCH, VIEW], HOUR)
    assert table.schema == SILVER_SCHEMA
    search, view = table.to_pylist()
    assert search["event_ts"] == datetime(2026, 3, 1, 9, 15, 2, 123456, tzinfo=UTC)
    assert search["event_date"] == date(2026, 3, 1)
    assert (search["in_date"], search["utc_offset_minutes"]) == (SEARCH["inDate"], 540)
    assert (search["event_kind"], search["document_id"], search["title"]) == ("search", None, None)
    assert view["event_ts"] == datetime(2026, 3, 1, 9, 29, 59, 999999, tzinfo=UTC)
    assert (view["event_kind"], view["document_id"], view["utc_offset_minutes"]) == (
        "view",
        7,
        -270,
    )
    assert view["clinical_area"] is None and view["extra_fields"] is None


def test_keys_outside_the_contract_are_kept_as_json():
    table = hour_table([SEARCH, {**VIEW, "referrer": "x", "ab": [1]}], HOUR)
    assert table.column("extra_fields").to_pylist() == [None, '{"ab": [1], "referrer": "x"}']


def test_a_record_of_another_hour_is_refused():
    with pytest.raises(ValueError, match="1 records have an inDate outside the hour"):
        hour_table([SEARCH, {**VIEW, "inDate": "2026-03-01T10:00:00.000000+00:00"}], HOUR)


def test_exact_duplicates_are_dropped_and_the_order_is_total():
    near = {**SEARCH, "method": "GET"}  # differs in one field only: kept
    table = hour_table([VIEW, SEARCH, near, SEARCH, VIEW], HOUR)
    unique, dropped = drop_exact_duplicates(table)
    assert dropped == 2 and unique.num_rows == 3
    assert unique.column("method").to_pylist() == ["GET", "POST", "GET"]
    shuffled, _ = drop_exact_duplicates(hour_table([SEARCH, VIEW, near, VIEW, SEARCH], HOUR))
    assert shuffled.equals(unique)
    empty, none = drop_exact_duplicates(SILVER_SCHEMA.empty_table())
    assert (empty.num_rows, none) == (0, 0)


def test_missing_hours_are_named_by_their_partition_keys():
    day = date(2026, 3, 5)
    hours = [datetime(2026, 3, 5, h, tzinfo=UTC) for h in (7, 13)]
    message = missing_hours_message(day, hours)
    assert message.startswith("2 of 24 hours of 2026-03-05 missing in bronze: ")
    assert "2026-03-05-07:00, 2026-03-05-13:00" in message
    assert "logs/2026/03/05/07/api_logs.jsonl.gz" in message
    assert missing_hours_message(day, []) is None


def test_complete_days_need_all_24_hours():
    keys = [f"logs/2026/03/01/{h:02d}/api_logs.jsonl.gz" for h in range(24)]
    keys += [f"logs/2026/03/02/{h:02d}/api_logs.jsonl.gz" for h in range(23)]
    keys += ["logs/2026/03/03/00/other.json", "silver/click_events/x.parquet"]
    assert complete_days(keys) == [date(2026, 3, 1)]
