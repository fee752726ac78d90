"""The usual batch read in C (`usual_batch`) against the exact path: `json.loads` and the
full checks, record by record (the oracle: the same records, verdicts, messages and errors)."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from taxi_platform.defs.logs import codec, usual_batch
from taxi_platform.defs.logs.bronze import MalformedResponse, response_token
from taxi_platform.defs.logs.codec import (
    CodecError,
    compress_records,
    decrypt_and_compress,
    decrypt_batch,
)
from taxi_platform_tests.logs.test_codec import SEARCH, VIEW, fields, odd_values, records

MANY = settings(max_examples=300, deadline=None)
FERNET = Fernet(Fernet.generate_key())
AREA_VIEW = {**VIEW, "clinical_area": "Rheumatology"}


def outcome(convert, token: bytes) -> object:
    """What a conversion gives: records and verdicts, or the batch's error."""
    try:
        kept, rejected = convert(token)
    except CodecError as error:
        return type(error).__name__, str(error)
    return kept, [(r.index, r.error.field, str(r.error), r.record) for r in rejected]


def check_against_the_exact_path(payload: bytes) -> None:
    token = FERNET.encrypt(payload)
    expected = outcome(lambda t: compress_records(decrypt_batch(t, FERNET), in_place=True), token)
    assert outcome(lambda t: decrypt_and_compress(t, FERNET), token) == expected
    typed = usual_batch.decode(payload)
    if typed is None:
        return
    read, usual = typed
    # sort_keys: key order is not a value; json.dumps tells 1 from 1.0 and True
    assert [json.dumps(r, sort_keys=True) for r in read] == [
        json.dumps(r, sort_keys=True) for r in json.loads(payload)
    ]
    if usual is not None:  # vouched for only what the full checks pass
        assert all(
            codec._shape_problem(codec._RAW, r) is None
            for r, u in zip(read, usual, strict=True)
            if u
        )


def varied(record: dict, changes: list, removed: list) -> dict:
    record = {**record, **dict(changes)}
    for key in removed:
        record.pop(key, None)
    return record


usual_records = st.sampled_from([SEARCH, VIEW, AREA_VIEW]) | records
any_records = st.builds(
    varied,
    usual_records,
    st.lists(st.tuples(fields, odd_values), max_size=2),
    st.lists(fields, max_size=1),
)


@MANY
@given(
    st.lists(usual_records | any_records, max_size=6),
    st.booleans(),
    st.sampled_from([None, (",", ":")]),
)
def test_batches_near_the_usual_shape(batch: list[dict], ascii_only: bool, separators) -> None:
    """Usual records, records one value or key away from usual, extras and non-ASCII, in one
    batch; written with and without escapes (a lone surrogate raw, as `json` reads it)."""
    text = json.dumps(batch, ensure_ascii=ascii_only, separators=separators)
    check_against_the_exact_path(text.encode("utf-8", "surrogatepass"))


USUAL = json.dumps([SEARCH, AREA_VIEW]).encode()


def test_which_batches_take_the_shortcut() -> None:
    """Usual records are vouched for; a search with a title or a document, and a batch
    with a risky escape, get the full checks; a key outside the contract, the exact path."""
    kinds = [SEARCH, VIEW, AREA_VIEW, {**SEARCH, "title": "t"}, {**SEARCH, "document_id": 1}]
    assert usual_batch.decode(json.dumps(kinds).encode())[1] == [True, True, True, False, False]
    assert usual_batch.decode(USUAL.replace(b"Cardiology", b"Cardi\\u0000logy"))[1] is None
    assert usual_batch.decode(json.dumps([{**SEARCH, "referrer": None}]).encode()) is None


@pytest.mark.parametrize(
    "payload",
    [
        USUAL,
        json.dumps([SEARCH, VIEW], ensure_ascii=False).encode(),  # raw UTF-8 text
        USUAL.replace(b'"Cardiology"', b'"Cardi\\u0000logy"'),  # NUL by escape
        USUAL.replace(b'"Cardiology"', b'"Cardi\\ud800logy"'),  # lone surrogate by escape
        USUAL.replace(b'"Cardiology"', b'"Cardi\\uD83D\\uDE00logy"'),  # a pair: fine
        USUAL.replace(b'"Cardiology"', b'"Cardi\\\\u0000logy"'),  # escaped backslash: text
        USUAL.replace(b'"Cardiology"', b'"Cardi\xed\xa0\x80logy"'),  # surrogate as UTF-8
        USUAL.replace(b'"Cardiology"', b'"Cardi\xfflogy"'),  # not UTF-8
        USUAL.replace(b'"Cardiology"', b'"Cardi\x00logy"'),  # raw NUL: not JSON
        USUAL.replace(b'"Cardiology"', b'"Cardi\x1flogy"'),  # raw control character
        USUAL.replace(b'"Cardiology"', b'"Cardi\x7flogy"'),  # DEL is text
        USUAL.replace(b'"Cardiology"', b'"Cardiology", "clinical_area": ""'),  # last key wins
        USUAL.replace(b'"GET"', b'"POST", "method": "GET"'),
        USUAL.replace(b'"GET"', b'"G\\u0045T"'),
        USUAL.replace(b'"query"', b'"q\\u0075ery"'),  # an escaped key
        USUAL.replace(b"1882477,", b"18446744073709551616,"),  # beyond 64 bits
        USUAL.replace(b"1882477,", b"9223372036854775808,"),  # beyond int64
        USUAL.replace(b"1882477,", b"9223372036854775807,"),
        USUAL.replace(b"1882477,", b"-0,"),
        USUAL.replace(b"1882477,", b"1882477.0,"),
        USUAL.replace(b"1882477,", b"1.882477e6,"),
        USUAL.replace(b"1882477,", b"true,"),
        USUAL.replace(b"1882477,", b"NaN,"),
        USUAL.replace(b"1882477,", b"01,"),
        b"\xef\xbb\xbf" + USUAL,  # a byte order mark: json reads it
        USUAL.decode().encode("utf-16"),  # json reads UTF-16 too
        USUAL + b" \n",
        USUAL + b" x",
        USUAL[:-1] + b",]",
        USUAL[:-40],
        b"\x0c" + USUAL,
        b"[]",
        b"{}",
        b'"records"',
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
    ],
)
def test_hostile_documents(payload: bytes) -> None:
    check_against_the_exact_path(payload)


@MANY
@given(st.binary(max_size=12), st.integers(0, len(USUAL)), st.integers(0, 3))
def test_damaged_documents(junk: bytes, at: int, cut: int) -> None:
    """A usual batch with bytes cut out and junk put in, anywhere."""
    check_against_the_exact_path(USUAL[:at] + junk + USUAL[at + cut :])


def token_as_json_reads_it(body: bytes) -> str:
    """The oracle of `bronze.response_token`: `json` alone."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        return "MalformedResponse"
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), str):
        return "MalformedResponse"
    return envelope["data"]


def token_read(body: bytes) -> str:
    try:
        return response_token(body)
    except MalformedResponse:
        return "MalformedResponse"


RESPONSE = json.dumps(
    {"recordId": "r1", "ArrivalTimeStamp": "2026-11-21T00:03:00Z", "data": "gAAA"}
)


@MANY
@given(
    st.dictionaries(st.sampled_from(["data", "recordId", "x"]) | st.text(), st.text() | st.none()),
    st.booleans(),
    st.binary(max_size=6),
    st.integers(0, len(RESPONSE)),
)
def test_responses_are_read_as_json_reads_them(
    envelope: dict, ascii_only: bool, junk: bytes, at: int
) -> None:
    """Random envelopes (a lone surrogate raw, as `json` reads it) and a damaged response."""
    body = json.dumps(envelope, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    damaged = RESPONSE.encode()[:at] + junk + RESPONSE.encode()[at:]
    for document in (body, damaged, b"\xef\xbb\xbf" + body, body.replace(b'"', b'"\\ud800', 1)):
        assert token_read(document) == token_as_json_reads_it(document)
