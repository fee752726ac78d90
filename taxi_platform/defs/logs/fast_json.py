"""The codec's JSON, parsed and written by orjson with the standard library's exact results.

Why: parsing batches and writing bronze's canonical lines were 42 % of the codec's time with
the standard library; orjson does both several times faster. Bronze's bytes must not change,
though (readers, identities and re-runs compare them), so orjson is used only where its
result is provably the standard library's, and the standard library handles the rest:

- parsing: orjson reads integers beyond 64 bits as floats where `json` keeps them exact, and
  refuses what `json` accepts (NaN, lone surrogates, UTF-16 input, deeper nesting). A
  payload with a 20-digit number (or a negative 19-digit one) goes to `json` directly; any
  payload orjson refuses is parsed again by `json`, so errors are exactly `json`'s.
- writing: the canonical form is `json.dumps(r, separators=(",", ":"), sort_keys=True)`,
  ASCII-only. orjson writes the same bytes except for non-ASCII text (raw UTF-8, not
  ``\\uXXXX``), DEL (raw, not ``\\u007f``), floats below 1e-4 (``0.00001`` and ``1e-7`` where
  `repr` gives ``1e-05`` and ``1e-07``) and integers beyond 64 bits (refused). A line that
  could be any of these is written again by the standard library; the test
  `test_canonical_lines_are_the_standard_librarys` checks the equality on random records.
  All lines are cut from one orjson array (`_bodies`), with the same rewrites
  (`test_sorted_lines_text_is_the_standard_librarys`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import orjson

_STDLIB_CANONICAL = json.JSONEncoder(separators=(",", ":"), sort_keys=True)
_SORT_KEYS = orjson.OPT_SORT_KEYS
# Numbers orjson would read as floats although `json` reads exact integers (beyond 64 bits):
# 20 digits, or "-" and 19, right after a structural character or whitespace. Found in a
# "shape" of the document, one byte per byte (digits "0", JSON's structural characters and
# whitespace "s", "-" as it is, anything else "x"), by a plain substring search for 19 digits
# (a regular expression that starts with a character class is slow over megabytes), then a
# look at where each run found starts: hex ids hold such runs in strings a few times a batch.
_SHAPE = bytes(
    ord("0")
    if chr(c).isdigit() and c < 128
    else ord("s")
    if c in b"[]{},: \t\r\n"
    else c
    if c == ord("-")
    else ord("x")
    for c in range(256)
)
_DIGIT_RUN = b"0" * 19
# Floats orjson writes differently: "1e-7" / "1.5e-7" (one exponent digit; in orjson's compact
# output a number ends at ",", "]" or "}") and "0.00001". Searched in the text itself: both
# start with a fixed string, which the regular expression engine finds quickly. Inside a
# string they only make that line be written twice.
_SHORT_EXPONENT = re.compile(rb"e-\d[,\]}]")
_SMALL_DECIMAL = b"0.0000"


def _wide_integer(shape: bytes) -> bool:
    """Whether a document's shape holds a number orjson would read as a float (see `_SHAPE`).
    Inside a string ("id: 123…") such a number only makes its payload be parsed twice."""
    at = shape.find(_DIGIT_RUN)
    while at >= 0:  # `at` starts a run of digits (the search resumes past the last one found)
        before = shape[at - 1 : at] if at else b"s"
        if before == b"s" and shape[at + len(_DIGIT_RUN) : at + len(_DIGIT_RUN) + 1] == b"0":
            return True  # 20 digits or more
        if before == b"-" and (at == 1 or shape[at - 2 : at - 1] == b"s"):
            return True  # "-" and 19 digits or more
        at = shape.find(_DIGIT_RUN, at + len(_DIGIT_RUN))
        while at > 0 and shape[at - 1 : at] == b"0":  # the same run, further on
            at = shape.find(_DIGIT_RUN, at + len(_DIGIT_RUN))
    return False


def loads(document: bytes) -> Any:
    """`json.loads(document)`, exactly: the same values, and the same errors."""
    if not _wide_integer(document.translate(_SHAPE)):
        try:
            return orjson.loads(document)
        except orjson.JSONDecodeError:
            pass  # json decides, and raises its own error if it must
    return json.loads(document)


def canonical_line(record: Mapping[str, Any]) -> bytes:
    """One record's canonical JSON line (ASCII bytes, no newline)."""
    return canonical_lines([record])[0]


def canonical_lines(records: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """The canonical JSON line of each record, in order."""
    return [b"{" + body for body in _bodies(list(records))]


def sorted_lines_text(records: Iterable[Mapping[str, Any]]) -> bytes:
    """The records' canonical lines, sorted, each ending in a newline (a bronze object's text)."""
    return _text(sorted(_bodies(list(records))))


def distinct_lines_text(
    records: Iterable[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], bytes]:
    """The records once each (equal canonical lines: exact duplicates), in the order they first
    appear, and `sorted_lines_text` of them: one encoding serves both.

    Why: a bronze hour drops duplicates by their canonical line and then writes those lines;
    computing each record's line alone cost more than the rest of the codec together.
    """
    records = list(records)
    unique = dict(zip(_bodies(records), records, strict=True))
    return list(unique.values()), _text(sorted(unique))


def _bodies(records: list[Mapping[str, Any]]) -> list[bytes]:
    """Each record's canonical line without its opening brace (every line has one, so their
    order is the lines' order).

    Why not one orjson call per record: one call writes all records as a JSON array, and that
    text is the one scanned for lines to write again. The array is cut at ``,{`` into the
    records' bodies. That is exact when there are n - 1 cuts, the ones between records; any
    other ``,{`` (inside a string or a nested list) makes more, and then the lines are written
    one by one.
    """
    text = _array_text(records)
    bodies = text.split(b",{") if text is not None else []
    if len(bodies) != len(records) or not records:
        return [line[1:] for line in _lines_one_by_one(records)]
    bodies[0] = bodies[0].removeprefix(b"[{")
    bodies[-1] = bodies[-1].removesuffix(b"]")
    for index in _suspect_lines(text, bodies, start=2, separator=2):
        bodies[index] = _stdlib_line(records[index])[1:]
    return bodies


def _text(sorted_bodies: list[bytes]) -> bytes:
    """Lines from their sorted bodies (`_bodies`), each ending in a newline; joined once."""
    if not sorted_bodies:
        return b""
    sorted_bodies[0] = b"{" + sorted_bodies[0]
    sorted_bodies[-1] += b"\n"
    return b"\n{".join(sorted_bodies)


def _lines_one_by_one(records: list[Mapping[str, Any]]) -> list[bytes]:
    try:
        lines = [orjson.dumps(record, option=_SORT_KEYS) for record in records]
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, or too deep for orjson
        lines = [_line(record) for record in records]
    # One scan of all lines together finds the few lines to write again: non-ASCII text is
    # common (about 1 % of the simulator's records), small floats are rare.
    text = b"\n".join(lines)
    for index in _suspect_lines(text, lines, start=0, separator=1):
        lines[index] = _stdlib_line(records[index])
    return lines


def _array_text(records: list[Mapping[str, Any]]) -> bytes | None:
    """orjson's text of `records` as one array, if all are dicts and orjson can write them."""
    if set(map(type, records)) != {dict}:
        return None
    try:
        return orjson.dumps(records, option=_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None


def _ends(pieces: list[bytes], start: int, separator: int) -> np.ndarray:
    """Where each piece ends, its separator included, in a text of `pieces` joined by
    separators of `separator` bytes and starting at byte `start`."""
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    return start + np.cumsum(lengths + separator)


def _suspect_lines(text: bytes, pieces: list[bytes], start: int, separator: int) -> list[int]:
    """Which lines of `text` (`pieces` joined by separators of `separator` bytes, starting at
    byte `start`) may not be the standard library's (module docstring), in order. Non-ASCII
    (common: about 1 % of the simulator's records) is one test per piece in C; the rest, rare,
    is found by byte position in `text`, so no Python runs per line."""
    suspects: set[int] = set()
    if not text.isascii():
        ascii_pieces = np.fromiter(map(bytes.isascii, pieces), dtype=bool, count=len(pieces))
        suspects.update(np.flatnonzero(~ascii_pieces).tolist())
    positions = [match.start() for match in _SHORT_EXPONENT.finditer(text)]
    at = text.find(_SMALL_DECIMAL)
    while at >= 0:
        positions.append(at)
        at = text.find(_SMALL_DECIMAL, at + 1)
    if b"\x7f" in text:
        positions.extend(np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 0x7F).tolist())
    if positions:  # a byte at p lies in the first line ending after p
        ends = _ends(pieces, start, separator)
        suspects.update(np.searchsorted(ends, positions, side="right").tolist())
    return sorted(suspects)


def _line(record: Mapping[str, Any]) -> bytes:
    try:
        return orjson.dumps(record, option=_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _stdlib_line(record)


def _stdlib_line(record: Mapping[str, Any]) -> bytes:
    return _STDLIB_CANONICAL.encode(record).encode("ascii")
