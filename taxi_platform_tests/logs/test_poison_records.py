"""Poison input of the log pipeline: each found defect, codec first, then bronze and Silver
against the session stack's moto S3 (landing objects written as the API would have served
them, encrypted with the stack's key)."""

import gzip
import io
import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pyarrow.parquet as pq
import pytest
from cryptography.fernet import Fernet

from taxi_platform.defs.clicks.click_events import (
    QUARANTINE_CHECK,
    click_events,
    quarantine_key,
    silver_key,
)
from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.bronze import MalformedResponse, quarantine_bytes, response_token
from taxi_platform.defs.logs.checks import api_logs_checks
from taxi_platform.defs.logs.codec import (
    MAX_BIGINT,
    MAX_DEPTH,
    MalformedJson,
    compress_record,
    compress_records,
    decrypt_batch,
    encode_hour_object,
    hour_object_key,
)
from taxi_platform.defs.logs.layout import batch_id_of, landing_key
from taxi_platform.defs.logs.quarantine_check import api_logs_nothing_quarantined
from taxi_platform.defs.logs.store import read_quarantine
from taxi_platform_tests.logs.conftest import delete_prefixes
from taxi_platform_tests.logs.helpers import other_hours_empty, silver_day_prefixes
from taxi_platform_tests.support import QUIET, checks, materializations

VIEW = {
    "user_id": "0123456789abcdef" * 4,
    "session_id": "s-1",
    "method": "GET",
    "url": "/documents/42",
    "inDate": "2026-03-03T05:10:00.000000+00:00",
    "document_id": 42,
    "title": "Sepsis bundle",
    "clinical_area": "ICU",
}
SEARCH = {
    "user_id": "fedcba9876543210" * 4,
    "session_id": "s-2",
    "method": "POST",
    "url": "/search",
    "inDate": "2026-03-03T05:20:00.000000+00:00",
    "query": "lactate",
    "clinical_area": "ED",
}


def nested(depth: int) -> object:
    """`depth` levels of lists built without recursion (json cannot build them for us)."""
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def rejected_reason(record: object) -> str:
    compressed, rejected = compress_records([record])
    assert compressed == [] and len(rejected) == 1
    return str(rejected[0].error)


# --- codec -----------------------------------------------------------------------------


def test_a_payload_of_200000_brackets_is_malformed_json_not_a_recursion_error():
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"[" * 200_000)
    with pytest.raises(MalformedJson, match="nested deeper"):
        decrypt_batch(token, Fernet(key))


def test_a_record_with_a_5000_level_extra_field_fails_its_batch_as_malformed_json():
    # The parser cannot read 5,000 levels at all, so the batch is what is set aside.
    key = Fernet.generate_key()
    text = json.dumps(VIEW)[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(MalformedJson, match="nested deeper"):
        decrypt_batch(Fernet(key).encrypt(f"[{text}]".encode()), Fernet(key))


def test_a_deep_extra_field_that_parses_is_quarantined_alone_and_storable():
    key = Fernet.generate_key()
    deep = json.dumps(VIEW)[:-1] + ', "deep": ' + "[" * 500 + "]" * 500 + "}"
    payload = f"[{deep}, {json.dumps(SEARCH)}]".encode()
    records = decrypt_batch(Fernet(key).encrypt(payload), Fernet(key))
    compressed, rejected = compress_records(records)
    assert [c["session_id"] for c in compressed] == ["s-2"]
    assert rejected[0].error.field == "deep"
    assert f"deeper than {MAX_DEPTH} levels" in str(rejected[0].error)
    # The record is kept for quarantine, cut below the limit, and its document encodes.
    document = json.loads(quarantine_bytes({"records": [rejected[0].record]}))
    assert document["records"][0]["session_id"] == "s-1"


def test_a_5000_level_record_built_in_python_is_rejected_without_recursion():
    reason = rejected_reason({**VIEW, "deep": nested(5000)})
    assert reason == f"extra field 'deep' nests deeper than {MAX_DEPTH} levels"
    assert compress_records([{**VIEW, "deep": nested(MAX_DEPTH)}])[1] == []


def test_landing_and_bronze_envelope_parsing_survive_deep_json():
    body = b'{"recordId": ' + b"[" * 200_000
    assert batch_id_of(body).startswith("sha256-")
    with pytest.raises(MalformedResponse):
        response_token(body)


@pytest.mark.parametrize("document_id", [10**30, MAX_BIGINT + 1])
def test_a_document_id_beyond_bigint_is_rejected(document_id: int):
    assert rejected_reason({**VIEW, "document_id": document_id}) == (
        f"field 'document_id' must be a JSON integer in [0, {MAX_BIGINT}], got number"
    )


def test_the_largest_bigint_document_id_is_accepted():
    assert compress_record({**VIEW, "document_id": MAX_BIGINT})["document_id"] == MAX_BIGINT


@pytest.mark.parametrize(
    ("base", "field", "value", "problem"),
    [
        (VIEW, "clinical_area", "IC\x00U", "holds a NUL character"),
        (VIEW, "title", "Sepsis\x00", "holds a NUL character"),
        (VIEW, "title", "Sep\ud800sis", "holds a lone UTF-16 surrogate"),
        (SEARCH, "query", "\udfff", "holds a lone UTF-16 surrogate"),
        (SEARCH, "title", "a\x00", "holds a NUL character"),  # a search's title is typed too
        (SEARCH, "url", "x" * 70_000, "is longer than 65536 characters"),
    ],
)
def test_unstorable_text_is_rejected_naming_the_field(base, field, value, problem):
    assert rejected_reason({**base, field: value}).startswith(f"field {field!r} {problem}")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"score": float("nan")}, "extra field 'score' holds nan, which JSON cannot carry"),
        ({"score": float("inf")}, "extra field 'score' holds inf, which JSON cannot carry"),
        ({"tags": [1, {"x": float("-inf")}]}, "extra field 'tags' holds -inf"),
        ({"note": "a\x00b"}, "extra field 'note': a string holds a NUL character"),
        ({"meta": {"k\ud800": 1}}, "extra field 'meta': a key holds a lone UTF-16 surrogate"),
    ],
)
def test_extra_fields_must_be_json_and_storable(extra, reason):
    assert rejected_reason({**SEARCH, **extra}).startswith(reason)


def test_a_nan_in_a_served_payload_is_quarantined_not_passed_to_silver():
    key = Fernet.generate_key()
    payload = "[" + json.dumps(SEARCH)[:-1] + ', "score": NaN}, ' + json.dumps(VIEW) + "]"
    records = decrypt_batch(Fernet(key).encrypt(payload.encode()), Fernet(key))
    compressed, rejected = compress_records(records)
    assert [c["session_id"] for c in compressed] == ["s-1"]
    assert rejected[0].error.field == "score"


def test_a_lone_surrogate_record_survives_the_quarantine_document():
    _, rejected = compress_records([{**VIEW, "title": "x\ud800"}])
    body = quarantine_bytes({"records": [rejected[0].record]})
    assert json.loads(body)["records"][0]["title"] == "x\ud800"


# --- bronze and Silver with the real lake ------------------------------------------------

DAY = date(2026, 3, 3)
HOUR = datetime(2026, 3, 3, 5, tzinfo=UTC)


@pytest.fixture
def clean_day(lake):
    prefixes = silver_day_prefixes(DAY)
    delete_prefixes(lake, prefixes)
    yield
    delete_prefixes(lake, prefixes)


def land(lake, key: str, payload: bytes, fetched_at: datetime, batch_id: str) -> None:
    token = fernet(key).encrypt(payload).decode()
    body = json.dumps({"recordId": batch_id, "data": token}).encode()
    lake.put_bytes(landing_key(fetched_at, batch_id), body, "application/json")


POISON = [
    {**VIEW, "session_id": "p-id", "document_id": 10**30},
    {**VIEW, "session_id": "p-nul-area", "clinical_area": "IC\x00U"},
    {**VIEW, "session_id": "p-nul-title", "title": "Se\x00psis"},
    {**SEARCH, "session_id": "p-surrogate", "query": "\ud800"},
]


def test_poison_records_are_quarantined_and_the_hour_and_day_are_published(
    resources, lake, stack_env, clean_day
):
    key = stack_env["TAXI_LOG_FERNET_KEY"]
    fetched = HOUR + timedelta(minutes=30)
    good = [VIEW, SEARCH]
    # JSON text by hand: NaN and a 200-level extra field as the API would serialize them.
    nan_record = json.dumps({**SEARCH, "session_id": "p-nan"})[:-1] + ', "score": NaN}'
    deep_record = (
        json.dumps({**SEARCH, "session_id": "p-deep"})[:-1]
        + ', "deep": '
        + "[" * 200
        + "]" * 200
        + "}"
    )
    records_text = [json.dumps(r) for r in good + POISON] + [nan_record, deep_record]
    land(lake, key, ("[" + ",".join(records_text) + "]").encode(), fetched, "batch-mixed")
    land(lake, key, b"[" * 200_000, fetched + timedelta(minutes=3), "batch-deep")

    result = dg.materialize(
        [api_logs, api_logs_checks, api_logs_nothing_quarantined],
        resources=resources,
        partition_key=f"{HOUR:%Y-%m-%d-%H:%M}",
        run_config=QUIET,
    )

    assert result.success
    meta = materializations(result, api_logs)[0]
    assert meta["records_written"] == 2
    assert meta["records_quarantined"] == 6
    assert meta["batches_quarantined"] == 1
    assert meta["quarantine_reasons"] == {"InvalidRecord": 6, "MalformedJson": 1}
    found = checks(result)
    assert found["no_loss"].passed and found["decodes"].passed
    assert not found["nothing_quarantined"].passed
    assert found["nothing_quarantined"].metadata["quarantined_by_reason"].value == {
        "InvalidRecord": 6,
        "batch MalformedJson": 1,
    }
    documents = read_quarantine(lake, HOUR)
    reasons = {
        r["record"]["session_id"]: r["field"] for d in documents.values() for r in d["records"]
    }
    assert reasons == {
        "p-id": "document_id",
        "p-nul-area": "clinical_area",
        "p-nul-title": "title",
        "p-surrogate": "query",
        "p-nan": "score",
        "p-deep": "deep",
    }

    other_hours_empty(lake, HOUR)
    silver = dg.materialize(
        [click_events], resources=resources, partition_key=str(DAY), run_config=QUIET
    )
    assert silver.success
    table = pq.read_table(io.BytesIO(lake.get_bytes(silver_key(DAY))))
    assert sorted(table.column("session_id").to_pylist()) == ["s-1", "s-2"]
    assert checks(silver)[QUARANTINE_CHECK].passed


def test_silver_sets_aside_unstorable_records_already_in_bronze(resources, lake, clean_day):
    # Bronze written before the codec refused these (encode_hour_object does not validate).
    old = [
        compress_record(VIEW),
        {**compress_record(VIEW), "session_id": "old-id", "document_id": 10**30},
        {**compress_record(SEARCH), "session_id": "old-nul", "clinical_area": "E\x00D"},
    ]
    lake.put_bytes(hour_object_key(HOUR), encode_hour_object(old), "application/gzip")
    other_hours_empty(lake, HOUR)

    result = dg.materialize(
        [click_events], resources=resources, partition_key=str(DAY), run_config=QUIET
    )

    assert result.success
    table = pq.read_table(io.BytesIO(lake.get_bytes(silver_key(DAY))))
    assert table.column("session_id").to_pylist() == ["s-1"]
    meta = materializations(result, click_events)[0]
    assert meta["records_quarantined"] == 2
    assert meta["quarantine_reasons"] == {"clinical_area": 1, "document_id": 1}
    check = checks(result)[QUARANTINE_CHECK]
    assert not check.passed and "2 bronze records" in check.description
    document = json.loads(lake.get_bytes(quarantine_key(HOUR)))
    assert sorted(r["record"]["session_id"] for r in document["records"]) == [
        "old-id",
        "old-nul",
    ]
    assert gzip.decompress(lake.get_bytes(hour_object_key(HOUR)))  # bronze left as it was
