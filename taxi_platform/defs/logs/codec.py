"""Pure codec of the log pipeline: Fernet batches in, lossless compact records, hourly objects out.

Why batch-first: an hour can hold a million records, and per-record Python (a `UUID` per id
half, a datetime per `inDate`, a gzip write per line) is what made the seed slow. The batch
functions check and convert `user_id` and `inDate` with numpy over the whole batch and gzip
an hour in one call; the one-record helpers are the batch functions on a list of one, so
there is a single implementation to trust.

Raw record (what the log API serves):
    user_id     64 lowercase hex characters
    session_id  non-empty string
    method      "GET" | "POST"
    url         non-empty string
    inDate      exactly ``YYYY-MM-DDTHH:MM:SS.ffffff±HH:MM`` (32 characters), i.e. what
                ``datetime.isoformat(timespec="microseconds")`` gives for an aware datetime
                with a whole-minute offset; that is what the simulator emits. Other ISO
                spellings (``Z``, no microseconds, ``+0900``) are rejected rather than
                normalised, so compression can promise an exact round trip. Years 0002–9998,
                so every instant has a UTC hour.
    kind        a record with ``query`` is a search and carries ``query`` and
                ``clinical_area`` (non-empty strings); a record with ``document_id`` is a
                document view and carries ``document_id`` (JSON integer >= 0; Silver types it
                as an integer), ``title`` (non-empty string) and ``clinical_area`` when the
                document has one. A record with both keys or neither is invalid.
    other keys  allowed, passed through unchanged, within the limits below.

Storable records only (why: a record bronze accepts must be one every later stage can
store, so the day's Silver file, the Gold COPY and the extra-field JSON never meet input
they cannot hold; anything else is quarantined here, with the reason, and the rest of the
hour is published):
    text        every string (values and keys, extra fields included) is valid Unicode
                without NUL (PostgreSQL text holds neither NUL nor lone surrogates) and at
                most `MAX_TEXT_CHARS` characters; a record's strings total at most
                `MAX_RECORD_CHARS`.
    document_id at most `MAX_BIGINT` (Silver's int64, Gold's bigint).
    extra keys  nested at most `MAX_DEPTH` levels, at most `MAX_EXTRA_VALUES` values, numbers
                finite (NaN and Infinity are not JSON: Silver's `extra_fields` must parse).
    payload     a batch nested deeper than the JSON parser's recursion limit is
                `MalformedJson` as a whole (nothing of it can be read record by record).

Compressed record (bronze). Key names stay the same, so readers need no mapping table:
    user_id     44 characters: b64uuid of the first 32 hex + b64uuid of the last 32 hex,
                each ``b64uuid.B64UUID(half).string`` (22 URL-safe base64 characters)
    method      JSON integer 1 (GET) | 2 (POST)
    inDate      25 characters ``YYYYMMDDHHMMSSffffff±HHMM``: the ISO form's digits and offset
                sign, ``2026-11-21T09:15:02.123456+09:00`` -> ``20261121091502123456+0900``
    other keys  unchanged.

Bronze hour object ``logs/YYYY/MM/DD/HH/api_logs.jsonl.gz`` (hour of ``inDate`` in UTC): gzip
(level `GZIP_LEVEL`, mtime 0) of sorted lines ``json.dumps(r, separators=(",", ":"),
sort_keys=True)``, each ending in a newline, so the same records give the same bytes.
(orjson writes and parses them, with the standard library's exact results: `fast_json`; a
batch of usual records is parsed and checked by msgspec, with the same results: `usual_batch`.)
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import compress
from operator import itemgetter
from typing import Any

import numpy as np
from cryptography.fernet import Fernet, InvalidToken

from taxi_platform.defs.logs import fast_json, usual_batch
from taxi_platform.defs.logs.limits import (
    MAX_BIGINT,
    MAX_DEPTH,
    MAX_EXTRA_VALUES,
    MAX_RECORD_CHARS,
    MAX_TEXT_CHARS,
)

GZIP_LEVEL = 6  # zlib's default; on these JSON lines level 9 costs ~2x the CPU for ~3 % less
HOUR_OBJECT_NAME = "api_logs.jsonl.gz"

_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


TOO_DEEP_JSON = "JSON nested deeper than the parser's recursion limit"


class CodecError(ValueError):
    """A payload or record the codec refuses; messages never quote the key or a token."""


class BadToken(CodecError):
    """A batch's `data` is not a Fernet token for this key (wrong key, corrupted, truncated)."""


class MalformedJson(CodecError):
    """A batch decrypted, but its payload is not a JSON array."""


class InvalidRecord(CodecError):
    """A record breaks the record contract; `field` names the culprit, None the whole record."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class CorruptObject(CodecError):
    """A bronze hour object that is not gzip of JSON lines, one object per line."""


@dataclass(frozen=True)
class Rejected:
    """A record refused by a batch conversion, kept whole for quarantine with its reason."""

    index: int
    record: object
    error: InvalidRecord


def decrypt_batch(token: bytes | str, fernet: Fernet) -> list[Any]:
    """Decrypt one API response's `data` and parse its JSON array of records.

    Elements come back as parsed, not validated: a bad record is quarantined alone by
    `compress_records` rather than taking its batch with it. No TTL is applied, because
    landing keeps tokens for re-processing long after they were issued.
    """
    return _parse(_decrypt(token, fernet))


def decrypt_and_compress(
    token: bytes | str, fernet: Fernet
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """`compress_records(decrypt_batch(token, fernet), in_place=True)`, with the same results
    and errors; the usual batch is parsed and checked in C (`usual_batch`)."""
    payload = _decrypt(token, fernet)
    typed = usual_batch.decode(payload)
    if typed is None:
        return compress_records(_parse(payload), in_place=True)
    records, usual = typed
    return _convert(_RAW, records, in_place=True, usual=usual)


def _decrypt(token: bytes | str, fernet: Fernet) -> bytes:
    try:
        return fernet.decrypt(token)
    except (InvalidToken, TypeError):
        raise BadToken(
            "data is not a Fernet token for this key (wrong key, corrupted or truncated)"
        ) from None


def _parse(payload: bytes) -> list[Any]:
    try:
        records = fast_json.loads(payload)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedJson(f"decrypted payload is not JSON: {_reason(exc)}") from None
    except RecursionError:
        raise MalformedJson(TOO_DEEP_JSON) from None
    if not isinstance(records, list):
        raise MalformedJson(
            f"decrypted payload is a JSON {_json_type(records)}, expected an array of records"
        )
    return records


def validate_record(rec: object) -> None:
    """Raise `InvalidRecord` naming the first bad field of a raw record (module docstring)."""
    _raise_first(_convert(_RAW, [rec])[1])


def compress_records(
    records: Sequence[object], *, in_place: bool = False
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """Validate and compress raw records: (compressed valid records in order, rejected).

    `in_place=True` turns the valid records themselves into their compressed form instead of
    copies (rejected records stay as they were): for a caller that owns the records and
    needs only the result, such as a batch fresh from `decrypt_batch`; a copy per record is
    about a fifth of the conversion's time.
    """
    return _convert(_RAW, records, in_place=in_place)


def decompress_records(records: Sequence[object]) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """Exact inverse of `compress_records`; a rejected record means a corrupt bronze object."""
    return _convert(_COMPRESSED, records)


def compress_record(rec: object) -> dict[str, Any]:
    compressed, rejected = _convert(_RAW, [rec])
    _raise_first(rejected)
    return compressed[0]


def decompress_record(c: object) -> dict[str, Any]:
    decompressed, rejected = _convert(_COMPRESSED, [c])
    _raise_first(rejected)
    return decompressed[0]


def event_hour_utc(rec: Mapping[str, Any]) -> datetime:
    """The UTC hour (aware, minute 0) that a raw or compressed record's `inDate` falls in."""
    return _utc_hours([rec])[0][0]


def group_by_hour(
    records: Sequence[Mapping[str, Any]],
) -> dict[datetime, list[Mapping[str, Any]]]:
    """Records (raw or compressed) by the UTC hour of their `inDate`, input order kept; hours
    in the order of their first record."""
    hours, of_record = _utc_hours(records)
    if len(hours) == 1:  # the usual batch: no per-record step
        return {hours[0]: list(records)}
    return {
        hour: [records[i] for i in np.flatnonzero(of_record == index).tolist()]
        for index, hour in enumerate(hours)
    }


def hour_object_key(hour: datetime) -> str:
    """The bronze object key of an aware datetime at the start of a UTC hour."""
    if hour.utcoffset() is None:
        raise ValueError("hour must be timezone-aware: partitions are cut in UTC")
    utc = hour.astimezone(UTC)
    if utc != utc.replace(minute=0, second=0, microsecond=0):
        raise ValueError(f"{hour.isoformat()} is not the start of a UTC hour")
    return f"logs/{utc:%Y/%m/%d/%H}/{HOUR_OBJECT_NAME}"


def encode_hour_object(compressed_records: Iterable[Mapping[str, Any]]) -> bytes:
    """Deterministic gzip of JSON lines: the same records in any order give the same bytes."""
    return encode_hour_text(fast_json.sorted_lines_text(compressed_records))


def encode_hour_text(text: bytes) -> bytes:
    """The hour object of its text (sorted canonical lines: `distinct_records` or
    `fast_json.sorted_lines_text`)."""
    return gzip.compress(text, compresslevel=GZIP_LEVEL, mtime=0)


def distinct_records(
    compressed_records: Iterable[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], bytes]:
    """The records once each (exact duplicates: equal `record_identity`), in the order they
    first appear, and the text of their hour object (`encode_hour_text`)."""
    return fast_json.distinct_lines_text(compressed_records)


def decode_hour_object(blob: bytes) -> list[dict[str, Any]]:
    """The records of an hour object (still compressed: see `decompress_records`)."""
    try:
        text = gzip.decompress(blob)
        text.decode("utf-8")  # only to refuse what is not UTF-8
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise CorruptObject(f"hour object is not gzip of UTF-8 text: {exc}") from None
    lines = text.split(b"\n")
    if lines.pop() != b"":
        raise CorruptObject("hour object does not end with a newline (truncated?)")
    try:  # one parse of the whole object instead of one per line
        records = fast_json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError as exc:
        raise CorruptObject(f"hour object has a line that is not JSON: {_reason(exc)}") from None
    except RecursionError:
        raise CorruptObject(f"hour object has a line that is {TOO_DEEP_JSON}") from None
    if len(records) != len(lines) or any(type(record) is not dict for record in records):
        raise CorruptObject("every line of an hour object must hold exactly one JSON object")
    return records


def record_identity(rec: Mapping[str, Any]) -> str:
    """SHA-256 hex of the record's canonical JSON line: equal exactly for exact duplicates.

    Compare identities within one form: compression is a bijection, so raw duplicates are
    exactly the compressed duplicates, but a raw and a compressed record never match.
    """
    return hashlib.sha256(fast_json.canonical_line(rec)).hexdigest()


# --- character matrices ------------------------------------------------------------------


def _charset(chars: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


_DIGITS = b"0123456789"
_SIGNS = _charset(b"+-")
_LOWER_HEX = b"0123456789abcdef"
_B64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The 22nd character of 16 encoded bytes holds their last 2 bits and 4 zero bits: only
# these four letters are canonical, so every accepted id re-encodes to itself.
_B64_LAST = _charset(b"AQgw")


def _all_within(matrix: np.ndarray, chars: bytes) -> np.ndarray:
    """Per row, whether all its characters are among `chars`: one pass over the bytes in C
    when all rows are (the usual case), a table look-up per character only when not."""
    if not matrix.tobytes().translate(None, chars):
        return np.ones(len(matrix), dtype=bool)
    return _charset(chars)[matrix].all(axis=1)


def _matrix(values: Sequence[str], width: int) -> np.ndarray:
    """Equal-length strings as an (n, width) byte matrix; non-ASCII turns into '?', which
    no character class accepts, so it fails validation without shifting columns."""
    blob = "".join(values).encode("ascii", "replace")
    return np.frombuffer(blob, dtype=np.uint8).reshape(len(values), width)


def _rows(matrix: np.ndarray) -> list[str]:
    width = matrix.shape[1]
    text = matrix.tobytes().decode("ascii")
    return [text[start : start + width] for start in range(0, len(text), width)]


# --- user_id: 64 hex <-> two b64uuid ids ---------------------------------------------------


def _hex_to_b64uuid(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = _all_within(matrix, _LOWER_HEX)
    hex_text = _only_valid_rows(matrix, ok, "0").tobytes().decode("ascii")
    halves = np.frombuffer(bytes.fromhex(hex_text), dtype=np.uint8).reshape(-1, 16)
    # Two zero bytes make each half 18 bytes = 24 characters, so one b64encode call covers
    # the batch; the first 22 characters are exactly the unpadded encoding of the half.
    padded = np.zeros((len(halves), 18), dtype=np.uint8)
    padded[:, :16] = halves
    chars = np.frombuffer(base64.urlsafe_b64encode(padded.tobytes()), dtype=np.uint8)
    return ok, chars.reshape(-1, 24)[:, :22].reshape(-1, 44)


def _b64uuid_to_hex(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = _all_within(matrix, _B64URL) & _B64_LAST[matrix[:, 21]] & _B64_LAST[matrix[:, 43]]
    quads = np.full((len(matrix) * 2, 24), ord("A"), dtype=np.uint8)  # 'A' = six zero bits
    quads[:, :22] = _only_valid_rows(matrix, ok, "A").reshape(-1, 22)
    raw = np.frombuffer(base64.urlsafe_b64decode(quads.tobytes()), dtype=np.uint8)
    hex_text = raw.reshape(-1, 18)[:, :16].tobytes().hex().encode("ascii")
    return ok, np.frombuffer(hex_text, dtype=np.uint8).reshape(-1, 64)


def _only_valid_rows(matrix: np.ndarray, ok: np.ndarray, filler: str) -> np.ndarray:
    """Overwrite bad rows with a harmless character, so they cannot upset a batch decode."""
    return matrix if ok.all() else np.where(ok[:, None], matrix, ord(filler)).astype(np.uint8)


# --- inDate: ISO-8601 <-> compact digits ---------------------------------------------------

_ISO_TEMPLATE = np.frombuffer(b"0000-00-00T00:00:00.000000+00:00", dtype=np.uint8)
_ISO_DIGIT_COLUMNS = np.flatnonzero(np.equal(_ISO_TEMPLATE, ord("0")))
_ISO_SIGN_COLUMN = 26
_ISO_LITERAL_COLUMNS = np.flatnonzero(~np.isin(_ISO_TEMPLATE, list(b"0+")))
_COMPACT_COLUMNS = np.flatnonzero(np.isin(_ISO_TEMPLATE, list(b"0+")))
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _iso_ok(iso: np.ndarray) -> np.ndarray:
    """Rows spelled as the canonical inDate that name a real date and time (leap years,
    month lengths, offsets under 24 h), the checks `datetime.fromisoformat` would make."""
    ok = (
        (iso[:, _ISO_LITERAL_COLUMNS] == _ISO_TEMPLATE[_ISO_LITERAL_COLUMNS]).all(axis=1)
        & _all_within(iso[:, _ISO_DIGIT_COLUMNS], _DIGITS)
        & _SIGNS[iso[:, _ISO_SIGN_COLUMN]]
    )

    def number(start: int, stop: int) -> np.ndarray:
        value = np.zeros(len(iso), dtype=np.int32)
        for column in range(start, stop):
            value = value * 10 + iso[:, column] - ord("0")
        return value

    year, month, day = number(0, 4), number(5, 7), number(8, 10)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    return (
        ok
        & (year >= 2)
        & (year <= 9998)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= last_day)
        & (number(11, 13) < 24)
        & (number(14, 16) < 60)
        & (number(17, 19) < 60)
        & (number(27, 29) < 24)
        & (number(30, 32) < 60)
    )


def _iso_to_compact(iso: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _iso_ok(iso), iso[:, _COMPACT_COLUMNS]


def _compact_to_iso(compact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    iso = np.tile(_ISO_TEMPLATE, (len(compact), 1))
    iso[:, _COMPACT_COLUMNS] = compact
    return _iso_ok(iso), iso


def _iso_as_is(iso: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _iso_ok(iso), iso


# --- the two forms and the batch conversion --------------------------------------------------

_Converter = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class _Form:
    """One side of the codec: what its three coded fields look like, how to cross over."""

    user_id_width: int
    user_id_rule: str
    to_other_user_id: _Converter
    in_date_width: int
    in_date_rule: str
    to_other_in_date: _Converter
    to_iso_in_date: _Converter
    method_type: type
    to_other_method: Mapping[Any, Any]


_RAW = _Form(
    user_id_width=64,
    user_id_rule="64 lowercase hex characters",
    to_other_user_id=_hex_to_b64uuid,
    in_date_width=32,
    in_date_rule="a real instant written YYYY-MM-DDTHH:MM:SS.ffffff±HH:MM",
    to_other_in_date=_iso_to_compact,
    to_iso_in_date=_iso_as_is,
    method_type=str,
    to_other_method={"GET": 1, "POST": 2},
)
_COMPRESSED = _Form(
    user_id_width=44,
    user_id_rule="two b64uuid ids (44 URL-safe base64 characters)",
    to_other_user_id=_b64uuid_to_hex,
    in_date_width=25,
    in_date_rule="a real instant written YYYYMMDDHHMMSSffffff±HHMM",
    to_other_in_date=_compact_to_iso,
    to_iso_in_date=_compact_to_iso,
    method_type=int,
    to_other_method={1: "GET", 2: "POST"},
)
_MISSING = object()
_SEARCH_TEXT_FIELDS = ("session_id", "url", "query", "clinical_area")
_VIEW_TEXT_FIELDS = ("session_id", "url", "title")
_AREA_VIEW_TEXT_FIELDS = (*_VIEW_TEXT_FIELDS, "clinical_area")


def _convert(
    form: _Form,
    records: Sequence[object],
    *,
    in_place: bool = False,
    usual: list[bool] | None = None,
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """Check per record what needs Python (types, kinds), per batch what needs characters.

    The usual batch has no bad record, so that case takes no per-record step beyond the
    checks and the three stores of the conversion. `usual`: `_usual` of each record when the
    caller knows it already (`usual_batch`).
    """
    rejected: list[Rejected] = []
    positions: Sequence[int] = range(len(records))
    shaped: list[dict[str, Any]] = list(records)  # type: ignore[arg-type]  # checked below
    if usual is None:
        usual = list(map(partial(_usual, form), records))
    if not all(usual):
        problems = [
            None if is_usual else _shape_problem(form, record)
            for record, is_usual in zip(records, usual, strict=True)
        ]
        rejected = [
            Rejected(index, _storable(records[index]), problem)
            for index, problem in enumerate(problems)
            if problem is not None
        ]
        positions = [index for index, problem in enumerate(problems) if problem is None]
        shaped = [shaped[index] for index in positions]
    user_ok, user_ids = _apply(form.to_other_user_id, shaped, "user_id", form.user_id_width)
    date_ok, in_dates = _apply(form.to_other_in_date, shaped, "inDate", form.in_date_width)
    methods = list(map(form.to_other_method.__getitem__, map(itemgetter("method"), shaped)))
    converted = shaped if in_place else list(map(dict.copy, shaped))
    ok = user_ok & date_ok
    if not ok.all():
        keep = ok.tolist()
        for index, record, u_ok, kept in zip(
            positions, shaped, user_ok.tolist(), keep, strict=True
        ):
            if not kept:
                field, rule = (
                    ("inDate", form.in_date_rule) if u_ok else ("user_id", form.user_id_rule)
                )
                error = InvalidRecord(field, f"field {field!r} must be {rule}")
                rejected.append(Rejected(index, record, error))
        rejected.sort(key=lambda r: r.index)
        converted, user_ids, methods, in_dates = (
            list(compress(column, keep)) for column in (converted, user_ids, methods, in_dates)
        )
    # one pass (not one per field): each record is visited once, while it is in the cache
    for record, user_id, method, in_date in zip(
        converted, user_ids, methods, in_dates, strict=True
    ):
        record["user_id"], record["method"], record["inDate"] = user_id, method, in_date
    return converted, rejected


def _apply(
    converter: _Converter, records: list[dict[str, Any]], field: str, width: int
) -> tuple[np.ndarray, list[str]]:
    ok, matrix = converter(_matrix(list(map(itemgetter(field), records)), width))
    return ok, _rows(matrix)


def _shape_problem(form: _Form, record: object) -> InvalidRecord | None:
    """The first problem of a record (module docstring) that needs Python to find, None if it
    has none: the full checks, for records `_usual` does not vouch for."""
    if type(record) is not dict:
        return InvalidRecord(None, f"record is a JSON {_json_type(record)}, expected an object")
    for field, width, rule in (
        ("user_id", form.user_id_width, form.user_id_rule),
        ("inDate", form.in_date_width, form.in_date_rule),
    ):
        value = record.get(field, _MISSING)
        if type(value) is not str or len(value) != width:
            return _bad(field, value, rule)
    method = record.get("method", _MISSING)
    if type(method) is not form.method_type or method not in form.to_other_method:
        return _bad("method", method, " or ".join(map(json.dumps, form.to_other_method)))
    if ("query" in record) == ("document_id" in record):
        return InvalidRecord(
            None, "record needs exactly one of 'query' (search) or 'document_id' (document view)"
        )
    if "query" in record:
        # A search's `title`, if any, becomes Silver's typed `title` column like a view's.
        text_fields = (*_SEARCH_TEXT_FIELDS, "title") if "title" in record else _SEARCH_TEXT_FIELDS
    else:
        document_id = record["document_id"]
        if type(document_id) is not int or not 0 <= document_id <= MAX_BIGINT:
            return _bad("document_id", document_id, f"a JSON integer in [0, {MAX_BIGINT}]")
        text_fields = _AREA_VIEW_TEXT_FIELDS if "clinical_area" in record else _VIEW_TEXT_FIELDS
    size = 0
    for field in text_fields:
        value = record.get(field, _MISSING)
        if type(value) is not str or not value:
            return _bad(field, value, "a non-empty string")
        # ASCII without NUL is fine: the full text checks only for the rest
        if len(value) > MAX_TEXT_CHARS or "\x00" in value or not value.isascii():
            problem = _text_problem(value)
            if problem:
                return InvalidRecord(field, f"field {field!r} {problem}")
        size += len(value)
    # user_id, method, inDate (+ document_id) and the text fields: any further key is extra
    if len(record) > len(text_fields) + (3 if "query" in record else 4):
        extras = sorted(map(str, record.keys() - _KNOWN_KEYS))
        return _extras_problem(record, extras, size)
    if size > MAX_RECORD_CHARS:
        return InvalidRecord(None, f"record's strings exceed {MAX_RECORD_CHARS} characters")
    return None


_KNOWN_KEYS = frozenset(
    {"user_id", "session_id", "method", "url", "inDate", "query", "clinical_area"}
    | {"document_id", "title"}
)
# The usual records, checked quickly by `_usual`: a search, a document view with its area and
# one without, with no further keys; and the getters of their text fields.
_CODED_KEYS = frozenset({"user_id", "method", "inDate"})
_SEARCH_KEYS = _CODED_KEYS | {*_SEARCH_TEXT_FIELDS}
_AREA_VIEW_KEYS = _CODED_KEYS | {"document_id", *_AREA_VIEW_TEXT_FIELDS}
_VIEW_KEYS = _CODED_KEYS | {"document_id", *_VIEW_TEXT_FIELDS}
_SEARCH_TEXTS = itemgetter(*_SEARCH_TEXT_FIELDS)
_AREA_VIEW_TEXTS = itemgetter(*_AREA_VIEW_TEXT_FIELDS)
_VIEW_TEXTS = itemgetter(*_VIEW_TEXT_FIELDS)


def _usual(form: _Form, record: object) -> bool:
    """Whether `record` is surely fine for `_shape_problem`, found quickly for the usual ones:
    a dict with one of the usual key sets (so no extra fields), coded fields of the right type
    and width, and text fields that are strings, non-empty, ASCII (so valid Unicode) without
    NUL, and within `MAX_TEXT_CHARS` together (so each is, and all are within
    `MAX_RECORD_CHARS`). False only means "check in full": `_shape_problem` then gives the
    verdict and its message, so verdicts do not depend on this shortcut.

    Why: this runs for every record of every batch, and the full checks cost ~40 % more.
    """
    if type(record) is not dict:
        return False
    keys = record.keys()
    if keys == _SEARCH_KEYS:
        texts = _SEARCH_TEXTS(record)
    elif keys in (_AREA_VIEW_KEYS, _VIEW_KEYS):
        document_id = record["document_id"]
        if type(document_id) is not int or not 0 <= document_id <= MAX_BIGINT:
            return False
        texts = (_AREA_VIEW_TEXTS if len(keys) == len(_AREA_VIEW_KEYS) else _VIEW_TEXTS)(record)
    else:
        return False
    user_id, in_date, method = record["user_id"], record["inDate"], record["method"]
    if (
        type(user_id) is not str
        or len(user_id) != form.user_id_width
        or type(in_date) is not str
        or len(in_date) != form.in_date_width
        or type(method) is not form.method_type
        or method not in form.to_other_method
    ):
        return False
    for text in texts:
        if type(text) is not str or not text:
            return False
    text = "".join(texts)
    return len(text) <= MAX_TEXT_CHARS and text.isascii() and "\x00" not in text


def _text_problem(value: str) -> str | None:
    """Why PostgreSQL (and every stage before it) could not store `value`, None if it can."""
    if len(value) > MAX_TEXT_CHARS:
        return f"is longer than {MAX_TEXT_CHARS} characters ({len(value)})"
    if "\x00" in value:
        return "holds a NUL character, which PostgreSQL text cannot store"
    if not value.isascii() and _UNSTORABLE_TEXT.search(value):
        return "holds a lone UTF-16 surrogate, which is not Unicode text"
    return None


def _extras_problem(record: dict[str, Any], keys: list[str], size: int) -> InvalidRecord | None:
    """Walk the extra fields without recursion (a deep value must not exhaust the stack):
    depth, count, text and finite numbers, per the module docstring's limits."""
    values = 0
    for key in keys:
        field = key
        stack: list[tuple[object, int]] = [(key, 0), (record[key], 0)]
        while stack:
            value, depth = stack.pop()
            values += 1
            if values > MAX_EXTRA_VALUES:
                return InvalidRecord(None, f"extra fields hold more than {MAX_EXTRA_VALUES} values")
            if type(value) is str:
                problem = _text_problem(value)
                if problem:
                    name = "a key" if value is key or depth < 0 else "a string"
                    return InvalidRecord(field, f"extra field {field!r}: {name} {problem}")
                size += len(value)
                if size > MAX_RECORD_CHARS:
                    return InvalidRecord(
                        None, f"record's strings exceed {MAX_RECORD_CHARS} characters"
                    )
            elif type(value) is float:
                if not math.isfinite(value):
                    return InvalidRecord(
                        field, f"extra field {field!r} holds {value}, which JSON cannot carry"
                    )
            elif type(value) is dict or type(value) is list:
                if depth >= MAX_DEPTH:
                    return InvalidRecord(
                        field, f"extra field {field!r} nests deeper than {MAX_DEPTH} levels"
                    )
                if type(value) is dict:
                    # keys are pushed with depth -1 so a bad one is reported as a key
                    stack.extend((k, -1) for k in value)
                    stack.extend((v, depth + 1) for v in value.values())
                else:
                    stack.extend((v, depth + 1) for v in value)
            elif value is not None and type(value) not in (int, bool):
                return InvalidRecord(
                    field, f"extra field {field!r} holds a {type(value).__name__}, not JSON"
                )
    return None


def _storable(value: object, depth: int = 0) -> object:
    """`value` for a quarantine document: nesting below `MAX_DEPTH` + 2 levels replaced by a
    note, so writing the document cannot exhaust the encoder's recursion (bounded here too)."""
    if type(value) is not dict and type(value) is not list:
        return value
    if depth > MAX_DEPTH + 2:
        return f"(nested deeper than {MAX_DEPTH + 2} levels: cut for quarantine)"
    if type(value) is dict:
        return {k: _storable(v, depth + 1) for k, v in value.items()}
    return [_storable(v, depth + 1) for v in value]


def _bad(field: str, value: object, rule: str) -> InvalidRecord:
    if value is _MISSING:
        return InvalidRecord(field, f"field {field!r} is missing")
    got = f"a string of {len(value)} characters" if type(value) is str else _json_type(value)
    return InvalidRecord(field, f"field {field!r} must be {rule}, got {got}")


def _raise_first(rejected: list[Rejected]) -> None:
    if rejected:
        raise rejected[0].error


def _json_type(value: object) -> str:
    for kind, name in ((bool, "boolean"), (int | float, "number"), (str, "string")):
        if isinstance(value, kind):
            return name
    return {dict: "object", list: "array", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _reason(exc: ValueError) -> str:
    """A decoder error's reason without its document (which may be a decrypted payload)."""
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"


# --- hours ------------------------------------------------------------------------------------


def _utc_hours(records: Sequence[Mapping[str, Any]]) -> tuple[list[datetime], np.ndarray]:
    """The distinct UTC hours of the records' `inDate`s (raw or compressed: their lengths
    differ), in the order of their first record, and the index of each record's hour.

    Only date, hour, minute and offset decide the hour, so an hour of records holds a few
    hundred distinct keys of them: found with numpy, each turned into a datetime once.
    """
    in_dates = [record.get("inDate") for record in records]
    iso, ok = _iso_in_dates(in_dates)
    if not ok.all():
        index = int(np.flatnonzero(~ok)[0])
        message = f"record {index}: field 'inDate' must be a raw or compressed inDate"
        raise InvalidRecord("inDate", message)

    def number(*columns: int) -> np.ndarray:
        value = np.zeros(len(iso), dtype=np.int64)
        for column in columns:
            value = value * 10 + iso[:, column] - ord("0")
        return value

    # "YYYY-MM-DDTHH:MM" as one number, and the offset in minutes (|offset| < 1440)
    local = number(0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15)
    sign = np.where(iso[:, _ISO_SIGN_COLUMN] == ord("-"), -1, 1)
    offset = sign * (number(27, 28) * 60 + number(30, 31))
    keys, first, key_of_record = np.unique(
        local * 4096 + offset + 2048, return_index=True, return_inverse=True
    )
    hours: dict[datetime, int] = {}
    hour_of_key = np.empty(len(keys), dtype=np.int64)
    for key in np.argsort(first, kind="stable").tolist():  # keys in order of first record
        text = iso[first[key]].tobytes().decode("ascii")
        hour = datetime.fromisoformat(text[:16] + text[26:]).astimezone(UTC).replace(minute=0)
        hour_of_key[key] = hours.setdefault(hour, len(hours))
    return list(hours), hour_of_key[key_of_record.reshape(-1)]


def _iso_in_dates(in_dates: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The ISO form of each raw or compressed `inDate` as an (n, 32) byte matrix, and which
    are valid; one batch conversion when all have one form (the usual case)."""
    widths = set(map(len, in_dates)) if set(map(type, in_dates)) == {str} else set()
    for form in (_RAW, _COMPRESSED):
        if widths == {form.in_date_width}:
            ok, iso = form.to_iso_in_date(_matrix(in_dates, form.in_date_width))
            return iso, ok
    iso = np.zeros((len(in_dates), _RAW.in_date_width), dtype=np.uint8)
    ok = np.zeros(len(in_dates), dtype=bool)
    for form in (_RAW, _COMPRESSED):
        positions = [
            i
            for i, value in enumerate(in_dates)
            if type(value) is str and len(value) == form.in_date_width
        ]
        if positions:
            ok[positions], iso[positions] = form.to_iso_in_date(
                _matrix([in_dates[i] for i in positions], form.in_date_width)
            )
    return iso, ok
