"""The usual batch of raw records, parsed and checked in C (msgspec), with `json`'s exact result.

Why: parsing a batch with orjson, guarding it against integers orjson reads differently, then
checking each record in Python (`codec._usual`) was a third of the codec's time above its
floor. msgspec reads the batch straight into structs of the record contract's usual shape
and checks types and bounds while it reads. It is only a shortcut, so verdicts and values do
not depend on it:

- A batch it refuses (a record with a key outside the contract, a wrong type, a value out of
  bounds, anything that is not strict JSON) is parsed again by `fast_json.loads` and checked
  record by record, as before.
- What it accepts, `json.loads` reads to the same values: msgspec refuses raw control
  characters, invalid UTF-8 (encoded surrogates included), NaN and trailing data, as `json`
  does or where `json` would give a value the contract refuses anyway (wide integers are out
  of bounds here), and keeps the last of duplicate keys, as `json` does
  (`test_usual_batch.py` compares the two on random and hostile documents).
- A landing object (the API's response) whose values are all strings is read the same way
  (`response_data`), else by `json`.
- What a struct cannot say: NUL and lone surrogates can only come from ``\\u0000`` and
  ``\\uD800``-``\\uDFFF`` escapes (raw, both are refused), so a batch whose bytes hold such an
  escape has its records checked one by one by `codec._usual`; and which kind a record is
  (a search, a document view with or without its area), found per record from the fields
  present.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec

from taxi_platform.defs.logs.limits import MAX_BIGINT, MAX_TEXT_CHARS

_U = msgspec.UNSET
_Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT_CHARS)]


class _Record(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    """Every key of the contract (module docstring of `codec`), no other; the kind's keys
    optional. Up to five text fields of at most `MAX_TEXT_CHARS` each stay far below
    `MAX_RECORD_CHARS` together, which the full checks require."""

    user_id: Annotated[str, msgspec.Meta(min_length=64, max_length=64)]
    session_id: _Text
    method: Literal["GET", "POST"]
    url: _Text
    inDate: Annotated[str, msgspec.Meta(min_length=32, max_length=32)]
    query: _Text | msgspec.UnsetType = _U
    clinical_area: _Text | msgspec.UnsetType = _U
    document_id: Annotated[int, msgspec.Meta(ge=0, le=MAX_BIGINT)] | msgspec.UnsetType = _U
    title: _Text | msgspec.UnsetType = _U


_DECODER = msgspec.json.Decoder(list[_Record])
_RESPONSE = msgspec.json.Decoder(dict[str, str])
# ``\u0000`` or a surrogate's escape: what could make a decoded string unstorable (a false
# match, such as an escaped backslash before "u0000", only costs the per-record checks)
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def decode(payload: bytes) -> tuple[list[dict[str, Any]], list[bool] | None] | None:
    """The batch's records as `json.loads` reads them and, per record, whether the full
    checks surely pass it (`codec._usual`'s promise), or None: check each. None for a
    batch of another shape: parse and check it the exact way."""
    try:
        structs = _DECODER.decode(payload)
    except (msgspec.DecodeError, RecursionError):
        return None
    records = msgspec.to_builtins(structs)
    if b"\\u" in payload and _RISKY_ESCAPE.search(payload):
        return records, None
    return records, [
        (r.query is not _U and r.clinical_area is not _U and r.document_id is _U and r.title is _U)
        or (r.document_id is not _U and r.title is not _U and r.query is _U)
        for r in structs
    ]


def response_data(body: bytes) -> str | None:
    """The `data` of a log API response as `json.loads(body)["data"]` reads it, None for a
    response of another shape (not all values strings, no `data`, not strict JSON)."""
    try:
        return _RESPONSE.decode(body).get("data")
    except msgspec.DecodeError:
        return None
