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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

_STDLIB_CANONICAL = json.JSONEncoder(separators=(",", ":"), sort_keys=True)
_SORT_KEYS = orjson.OPT_SORT_KEYS
# Numbers orjson would read as floats although `json` reads exact integers (beyond 64 bits):
# 20 digits, or "-" and 19, right after a structural character or whitespace. Found in a
# "shape" of the document, one byte per byte (digits "0", JSON's structural characters and
# whitespace "s", "-", "." and "e" as they are, anything else "x"), by plain substring
# searches: a regular expression that starts with a character class is slow over megabytes.
_SHAPE = bytes(
    ord("0")
    if chr(c).isdigit() and c < 128
    else ord("s")
    if c in b"[]{},: \t\r\n"
    else c
    if c in b"-.e"
    else ord("x")
    for c in range(256)
)
_WIDE_INTEGERS = (b"s" + b"0" * 20, b"s-" + b"0" * 19)
# Inside a string ("id: 123…") they only make that payload be parsed twice.
_BARE_WIDE_INTEGERS = tuple(needle[1:] for needle in _WIDE_INTEGERS)  # a document that is one
# Floats orjson writes differently: "1e-7" / "1.5e-7" (one exponent digit; in orjson's compact
# output a number ends at ",", "]" or "}") and "0.00001". Searched in the text itself: both
# start with a fixed string, which the regular expression engine finds quickly. Inside a
# string they only make that line be written twice.
_SHORT_EXPONENT = re.compile(rb"e-\d[,\]}]")
_SMALL_DECIMAL = b"0.0000"


def _small_floats(text: bytes) -> bool:
    return _SMALL_DECIMAL in text or _SHORT_EXPONENT.search(text) is not None


def _has(shape: bytes, needles: tuple[bytes, ...]) -> bool:
    return any(needle in shape for needle in needles)


def loads(document: bytes) -> Any:
    """`json.loads(document)`, exactly: the same values, and the same errors."""
    shape = document.translate(_SHAPE)
    if not _has(shape, _WIDE_INTEGERS) and not shape.startswith(_BARE_WIDE_INTEGERS):
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
    records = list(records)
    try:
        lines = [orjson.dumps(record, option=_SORT_KEYS) for record in records]
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, or too deep for orjson
        lines = [_line(record) for record in records]
    # One scan of all lines together; a line is looked at again only for what was found.
    # Non-ASCII text is common (about 1 % of the simulator's records); small floats are rare.
    text = b"\n".join(lines)
    small_floats = _small_floats(text)
    if small_floats or not text.isascii() or b"\x7f" in text:
        lines = [
            _stdlib_line(record) if _differs(line, small_floats) else line
            for record, line in zip(records, lines, strict=True)
        ]
    return lines


def _differs(line: bytes, small_floats: bool) -> bool:
    """Whether orjson's `line` may not be the standard library's (module docstring)."""
    if not line.isascii() or b"\x7f" in line:
        return True
    return small_floats and _small_floats(line)


def _line(record: Mapping[str, Any]) -> bytes:
    try:
        return orjson.dumps(record, option=_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _stdlib_line(record)


def _stdlib_line(record: Mapping[str, Any]) -> bytes:
    return _STDLIB_CANONICAL.encode(record).encode("ascii")
