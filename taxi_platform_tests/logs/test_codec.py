"""The log codec against independent oracles: b64uuid, datetime, json and gzip themselves."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from b64uuid import B64UUID
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from taxi_platform.defs.logs import codec
from taxi_platform.defs.logs.codec import (
    BadToken,
    CodecError,
    CorruptObject,
    InvalidRecord,
    MalformedJson,
    compress_record,
    compress_records,
    decode_hour_object,
    decompress_record,
    decompress_records,
    decrypt_batch,
    distinct_records,
    encode_hour_object,
    event_hour_utc,
    group_by_hour,
    hour_object_key,
    record_identity,
    validate_record,
)

FEW = settings(max_examples=60, deadline=None)
CODED = ("user_id", "method", "inDate")

offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(datetime(1900, 1, 1), datetime(2200, 12, 31), timezones=offsets)
# Storable text: no NUL (the codec quarantines it, see test_hostile_input.py)
texts = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12
)
common = st.fixed_dictionaries(
    {
        "user_id": st.binary(min_size=32, max_size=32).map(bytes.hex),
        "session_id": texts,
        "method": st.sampled_from(["GET", "POST"]),
        "url": texts,
        "inDate": instants.map(lambda t: t.isoformat(timespec="microseconds")),
    },
    optional={"referrer": st.none() | texts},  # unknown keys pass through
)
searches = st.fixed_dictionaries({"query": texts, "clinical_area": texts})
views = st.fixed_dictionaries(
    {"document_id": st.integers(0, 2**63 - 1), "title": texts}, optional={"clinical_area": texts}
)
records = st.builds(lambda c, kind: {**c, **kind}, common, searches | views)

SEARCH = {
    "user_id": "0123456789abcdef" * 4,
    "session_id": "4f1c0a9e2b7d",
    "method": "GET",
    "url": "/search?q=atrial+fibrillation&area=Cardiology",
    "inDate": "2026-11-21T09:15:02.123456+09:00",
    "query": "atrial fibrillation",
    "clinical_area": "Cardiology",
}
VIEW = {
    "user_id": "fedcba9876543210" * 4,
    "session_id": "4f1c0a9e2b7d",
    "method": "POST",
    "url": "/doc/1882477",
    "inDate": "2026-11-21T00:15:00.000000-05:00",
    "document_id": 1882477,
    "title": "Sjögren's syndrome: a systematic review",
}


def expected_compressed(record: dict) -> dict:
    """The compressed form, computed with the b64uuid package and datetime, not the codec."""
    user_id, in_date = record["user_id"], datetime.fromisoformat(record["inDate"])
    return {
        **record,
        "user_id": B64UUID(user_id[:32]).string + B64UUID(user_id[32:]).string,
        "method": {"GET": 1, "POST": 2}[record["method"]],
        "inDate": in_date.strftime("%Y%m%d%H%M%S%f%z"),
    }


def dumps(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), sort_keys=True)


# --- compression --------------------------------------------------------------------------------


def test_compressed_example() -> None:
    assert compress_record(SEARCH) == {
        **SEARCH,
        "user_id": "ASNFZ4mrze8BI0VniavN7wASNFZ4mrze8BI0VniavN7w",
        "method": 1,
        "inDate": "20261121091502123456+0900",
    }
    assert compress_record(VIEW)["inDate"] == "20261121001500000000-0500"


@FEW
@given(records)
def test_round_trip_is_exact(record: dict) -> None:
    assert decompress_record(compress_record(record)) == record


@FEW
@given(records)
def test_compressed_fields_match_b64uuid_and_datetime(record: dict) -> None:
    compressed = compress_record(record)
    assert compressed == expected_compressed(record)
    assert len(compressed["user_id"]) == 44
    assert compressed["method"] in (1, 2)
    assert len(compressed["inDate"]) < len(record["inDate"])


@FEW
@given(st.lists(records, max_size=20))
def test_batches_compress_each_record_and_invert(batch: list[dict]) -> None:
    compressed, rejected = compress_records(batch)
    assert rejected == []
    assert compressed == [expected_compressed(record) for record in batch]
    assert decompress_records(compressed) == (batch, [])


# Values that each break one rule the quick check of usual records (`codec._usual`) vouches
# for, or keep to it at its edges; and a str subclass, which only the full checks refuse.
class Text(str):
    pass


odd_values = st.sampled_from(
    [
        *("", "x", "é", "\x00", "\ud800", "\x7f", "a" * 65_537, "a" * 30_000, Text("t")),
        *(1, 1.5, None, True, [], {}, 2**63, -1, 0, 2**63 - 1, 2, "GET", "POST"),
        *("0123456789ABCDEF" * 4, "x" * 64, "x" * 32, "x" * 44, "x" * 25),
        "2026-13-21T09:15:02.123456+09:00",
    ]
)
fields = st.sampled_from([*SEARCH, "document_id", "title", "extra"])


@settings(max_examples=600, deadline=None)
@given(
    records.flatmap(lambda r: st.sampled_from([r, compress_record(r)])),
    st.lists(st.tuples(fields, odd_values), min_size=1, max_size=3),
    st.lists(fields, max_size=2),
)
def test_quick_check_of_usual_records_agrees_with_the_full_checks(
    base: dict, changes: list, removed: list
) -> None:
    """A batch's verdicts and messages are those of the full checks, one record at a time
    (the quick check only skips them for records they pass), and in-place compression
    changes the valid records alone."""
    record = {**base, **dict(changes)}
    for key in removed:
        record.pop(key, None)
    for form in (codec._RAW, codec._COMPRESSED):  # the quick check vouches only for the fine
        assert not codec._usual(form, record) or codec._shape_problem(form, record) is None
    for convert in (compress_records, decompress_records):
        alone = [convert([r]) for r in (record, base)]
        batch = [record, dict(base)]
        before = repr(batch)
        compressed, rejected = convert(batch)
        assert repr(batch) == before  # the caller's records are not changed
        assert compressed == [c for one, _ in alone for c in one]
        assert verdicts(rejected) == [
            (i, *verdict[1:]) for i, (_, one) in enumerate(alone) for verdict in verdicts(one)
        ]
    expected, expected_rejected = compress_records([record, base])
    batch = [dict(record), dict(base)]
    kept, rejected = compress_records(batch, in_place=True)
    assert (kept, verdicts(rejected)) == (expected, verdicts(expected_rejected))
    assert all(any(k is b for b in batch) for k in kept)  # the records themselves
    assert all(r.record == [record, base][r.index] for r in rejected)


def verdicts(rejected: list) -> list[tuple]:
    return [(r.index, r.error.field, str(r.error), r.record) for r in rejected]


def test_minus_zero_offset_round_trips() -> None:
    record = {**SEARCH, "inDate": "2026-11-21T09:15:02.123456-00:00"}
    assert compress_record(record)["inDate"] == "20261121091502123456-0000"
    assert decompress_record(compress_record(record)) == record


# --- invalid records ------------------------------------------------------------------------------

BAD_FIELDS = [
    (SEARCH, "user_id", "0123456789ABCDEF" * 4),
    (SEARCH, "user_id", "g" * 64),
    (SEARCH, "user_id", "0" * 63),
    (SEARCH, "user_id", "é" + "0" * 63),
    (SEARCH, "user_id", 12345),
    (SEARCH, "inDate", "2026-11-21T09:15:02+09:00"),
    (SEARCH, "inDate", "2026-11-21T09:15:02.123456Z"),
    (SEARCH, "inDate", "2026-11-21T09:15:02.123456+0900"),
    (SEARCH, "inDate", "2026-11-21 09:15:02.123456+09:00"),
    (SEARCH, "inDate", "2026-02-29T09:15:02.123456+09:00"),
    (SEARCH, "inDate", "2026-11-21T24:00:00.000000+09:00"),
    (SEARCH, "inDate", "2026-11-21T09:15:02.123456+24:00"),
    (SEARCH, "inDate", 20261121),
    (SEARCH, "method", "get"),
    (SEARCH, "method", "PUT"),
    (SEARCH, "method", 1),
    (SEARCH, "session_id", ""),
    (SEARCH, "url", None),
    (SEARCH, "query", ""),
    (SEARCH, "clinical_area", 3),
    (VIEW, "document_id", "1882477"),
    (VIEW, "document_id", -1),
    (VIEW, "document_id", True),
    (VIEW, "document_id", 1.5),
    (VIEW, "title", ""),
    (VIEW, "clinical_area", None),
]


@pytest.mark.parametrize(("base", "field", "value"), BAD_FIELDS)
def test_bad_field_is_named(base: dict, field: str, value: object) -> None:
    record = {**base, field: value}
    with pytest.raises(InvalidRecord) as caught:
        validate_record(record)
    assert caught.value.field == field
    assert repr(field) in str(caught.value)

    compressed, rejected = compress_records([base, record, base])
    assert compressed == [expected_compressed(base)] * 2
    assert [(r.index, r.record, r.error.field) for r in rejected] == [(1, record, field)]


@FEW
@given(st.sampled_from([SEARCH, VIEW]), st.data())
def test_missing_field_is_named(base: dict, data: st.DataObject) -> None:
    kind_field = "query" if base is SEARCH else "document_id"
    field = data.draw(st.sampled_from([k for k in base if k != kind_field]))
    record = {k: v for k, v in base.items() if k != field}
    with pytest.raises(InvalidRecord, match=f"field '{field}' is missing") as caught:
        compress_record(record)
    assert caught.value.field == field


@pytest.mark.parametrize("record", [[], "x", None, 5])
def test_non_object_record(record: object) -> None:
    with pytest.raises(InvalidRecord, match="expected an object") as caught:
        validate_record(record)
    assert caught.value.field is None


@pytest.mark.parametrize(
    "record",
    [
        {k: v for k, v in SEARCH.items() if k != "query"},
        {**SEARCH, "document_id": 5, "title": "t"},
    ],
)
def test_kind_must_be_search_or_view(record: dict) -> None:
    with pytest.raises(InvalidRecord, match=r"'query'.*'document_id'"):
        validate_record(record)


@FEW
@given(
    st.tuples(
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.integers(0, 999_999),
        st.sampled_from("+-"),
        st.integers(0, 25),
        st.integers(0, 61),
    )
)
def test_in_date_validity_agrees_with_fromisoformat(parts: tuple) -> None:
    y, mo, d, h, mi, s, us, sign, oh, om = parts
    text = f"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}{sign}{oh:02}:{om:02}"
    try:  # stricter than Python on years, offset minutes (":60") and 24:00 (Python 3.12+)
        valid = 2 <= datetime.fromisoformat(text).year <= 9998 and om < 60 and h < 24
    except ValueError:
        valid = False
    record = {**SEARCH, "inDate": text}
    if valid:
        validate_record(record)
    else:
        with pytest.raises(InvalidRecord):
            validate_record(record)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", "B" * 44),  # 22nd character carries non-zero padding bits: not canonical
        ("user_id", "ASNFZ4mrze8BI0VniavN7w" * 2 + "A"),
        ("user_id", "ASNFZ4mrze8BI0Vn+avN7wASNFZ4mrze8BI0VniavN7w"),
        ("method", 3),
        ("method", True),
        ("method", "GET"),
        ("inDate", "20261321091502123456+0900"),
        ("inDate", "2026112109150212345609:00"),
    ],
)
def test_bad_compressed_field_is_named(field: str, value: object) -> None:
    compressed = {**expected_compressed(SEARCH), field: value}
    with pytest.raises(InvalidRecord) as caught:
        decompress_record(compressed)
    assert caught.value.field == field


@FEW
@given(records)
def test_compression_is_the_exact_inverse_too(record: dict) -> None:
    compressed = expected_compressed(record)
    assert compress_record(decompress_record(compressed)) == compressed


# --- decryption ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> bytes:
    return Fernet.generate_key()


def test_decrypt_batch_returns_the_records(key: bytes) -> None:
    token = Fernet(key).encrypt(json.dumps([SEARCH, VIEW, 7]).encode())
    assert decrypt_batch(token, Fernet(key)) == [SEARCH, VIEW, 7]
    assert decrypt_batch(token.decode(), Fernet(key)) == [SEARCH, VIEW, 7]


@pytest.mark.parametrize("token", ["not-a-token", b"", 42])
def test_bad_token(key: bytes, token: object) -> None:
    with pytest.raises(BadToken, match="not a Fernet token"):
        decrypt_batch(token, Fernet(key))  # type: ignore[arg-type]


def test_wrong_key_names_neither_key_nor_token(key: bytes) -> None:
    other = Fernet.generate_key()
    token = Fernet(other).encrypt(b"[]")
    with pytest.raises(BadToken) as caught:
        decrypt_batch(token, Fernet(key))
    message = str(caught.value)
    for secret in (key, other, token):
        assert secret.decode() not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'[{"secret": "PAYLOAD-TEXT"', "not JSON"),
        (b"\xff\xfe PAYLOAD-TEXT", "not JSON"),
        (b'{"secret": "PAYLOAD-TEXT"}', "a JSON object, expected an array"),
    ],
)
def test_malformed_payload(key: bytes, payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedJson, match=reason) as caught:
        decrypt_batch(Fernet(key).encrypt(payload), Fernet(key))
    assert "PAYLOAD-TEXT" not in str(caught.value)


def test_errors_are_typed() -> None:
    for error in (BadToken, MalformedJson, InvalidRecord, CorruptObject):
        assert issubclass(error, CodecError)
    assert issubclass(CodecError, ValueError)


# --- hours ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_date", "hour"),
    [
        ("2026-11-21T09:15:02.123456+09:00", datetime(2026, 11, 21, 0, tzinfo=UTC)),
        ("2026-11-21T00:15:00.000000-05:00", datetime(2026, 11, 21, 5, tzinfo=UTC)),
        ("2026-11-21T10:15:00.000000+05:30", datetime(2026, 11, 21, 4, tzinfo=UTC)),
        ("2026-01-01T08:59:59.999999+09:00", datetime(2025, 12, 31, 23, tzinfo=UTC)),
    ],
)
def test_event_hour_examples(in_date: str, hour: datetime) -> None:
    record = {**SEARCH, "inDate": in_date}
    assert event_hour_utc(record) == hour
    assert event_hour_utc(expected_compressed(record)) == hour


@FEW
@given(instants)
def test_event_hour_is_the_utc_hour(instant: datetime) -> None:
    record = {**SEARCH, "inDate": instant.isoformat(timespec="microseconds")}
    expected = instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    assert event_hour_utc(record) == expected
    assert event_hour_utc(expected_compressed(record)) == expected
    assert event_hour_utc(record).tzinfo == UTC


@FEW
@given(st.lists(records, max_size=30), st.lists(st.booleans(), min_size=30, max_size=30))
def test_group_by_hour(batch: list[dict], raw: list[bool]) -> None:
    """Compressed records, and raw and compressed ones mixed: hours in the order of their
    first record, records in input order."""
    compressed = [expected_compressed(record) for record in batch]
    mixed = [r if keep_raw else c for r, c, keep_raw in zip(batch, compressed, raw, strict=False)]
    for records_in in (compressed, mixed):
        expected: dict[datetime, list[dict]] = {}
        for record, original in zip(records_in, batch, strict=True):
            instant = datetime.fromisoformat(original["inDate"]).astimezone(UTC)
            hour = instant.replace(minute=0, second=0, microsecond=0)
            expected.setdefault(hour, []).append(record)
        grouped = group_by_hour(records_in)
        assert list(grouped.items()) == list(expected.items())
        ids = [[id(record) for record in group] for group in grouped.values()]
        assert ids == [[id(record) for record in group] for group in expected.values()]


def test_event_hour_rejects_a_non_canonical_in_date() -> None:
    with pytest.raises(InvalidRecord, match="inDate"):
        event_hour_utc({**SEARCH, "inDate": "2026-11-21T09:15:02+09:00"})
    batch = [SEARCH, compress_record(VIEW), {**VIEW, "inDate": "2026-02-30T09:15:02.000000+09:00"}]
    with pytest.raises(InvalidRecord, match=r"^record 2: field 'inDate' must be a raw or"):
        group_by_hour(batch)


@pytest.mark.parametrize(
    ("hour", "key"),
    [
        (datetime(2026, 11, 21, 9, tzinfo=UTC), "logs/2026/11/21/09/api_logs.jsonl.gz"),
        (
            datetime(2026, 11, 21, 9, tzinfo=timezone(timedelta(hours=9))),
            "logs/2026/11/21/00/api_logs.jsonl.gz",
        ),
        (
            datetime(2026, 1, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "logs/2026/01/01/00/api_logs.jsonl.gz",
        ),
    ],
)
def test_hour_object_key(hour: datetime, key: str) -> None:
    assert hour_object_key(hour) == key


@pytest.mark.parametrize(
    "hour", [datetime(2026, 11, 21, 9), datetime(2026, 11, 21, 9, 30, tzinfo=UTC)]
)
def test_hour_object_key_needs_an_aware_hour_start(hour: datetime) -> None:
    with pytest.raises(ValueError, match=r"aware|start"):
        hour_object_key(hour)


# --- hour objects and identity --------------------------------------------------------------------


@FEW
@given(st.lists(records, max_size=25), st.randoms(use_true_random=False))
def test_hour_object_is_deterministic_and_round_trips(
    batch: list[dict], rng: random.Random
) -> None:
    compressed = [expected_compressed(record) for record in batch + batch[:3]]  # duplicates kept
    shuffled = compressed[:]
    rng.shuffle(shuffled)
    blob = encode_hour_object(compressed)
    assert blob == encode_hour_object(shuffled)
    assert blob[4:8] == b"\0\0\0\0"  # gzip mtime
    lines = gzip.decompress(blob).decode("ascii").splitlines()
    assert lines == sorted(map(dumps, compressed))
    assert sorted(map(dumps, decode_hour_object(blob))) == sorted(map(dumps, compressed))


def test_empty_hour_object() -> None:
    assert decode_hour_object(encode_hour_object([])) == []


@pytest.mark.parametrize(
    "blob",
    [
        b"not gzip at all",
        gzip.compress(b'{"a":1}\nnot json\n', mtime=0),
        gzip.compress(b'{"a":1}\n[1]\n', mtime=0),
        gzip.compress(b'{"a":1},{"b":2}\n', mtime=0),
        gzip.compress(b'{"a":1}', mtime=0),
        gzip.compress(b'{"a":1}\n', mtime=0)[:-6],
    ],
)
def test_corrupt_hour_object(blob: bytes) -> None:
    with pytest.raises(CorruptObject):
        decode_hour_object(blob)


def test_record_identity() -> None:
    reordered = dict(reversed(list(SEARCH.items())))
    assert record_identity(reordered) == record_identity(SEARCH)
    assert record_identity({**VIEW, "document_id": 1}) != record_identity(
        {**VIEW, "document_id": 2}
    )
    assert record_identity({**VIEW, "x": 1}) != record_identity({**VIEW, "x": True})
    assert record_identity({**VIEW, "x": 1}) != record_identity({**VIEW, "x": "1"})
    batch = [SEARCH, VIEW, dict(SEARCH), {**SEARCH, "url": "/search?q=other"}, dict(VIEW)]
    assert len({record_identity(record) for record in batch}) == 3


@FEW
@given(
    st.lists(records, min_size=1, max_size=5).flatmap(lambda some: st.lists(st.sampled_from(some)))
)
def test_distinct_records_are_those_of_distinct_identity(batch: list[dict]) -> None:
    """Records drawn with repeats: the first of each identity, in order, and the text of the
    hour object of those, as `json` writes the lines."""
    compressed = [expected_compressed(record) for record in batch]
    firsts: dict[str, dict] = {}
    for record in compressed:
        firsts.setdefault(record_identity(record), record)
    unique, text = distinct_records(compressed)
    assert unique == list(firsts.values())
    assert text == "".join(sorted(dumps(r) + "\n" for r in firsts.values())).encode("ascii")


@FEW
@given(records, st.sampled_from(["session_id", "url", "user_id"]), texts)
def test_any_change_changes_identity(record: dict, field: str, suffix: str) -> None:
    assert record_identity({**record, field: record[field] + suffix}) != record_identity(record)
