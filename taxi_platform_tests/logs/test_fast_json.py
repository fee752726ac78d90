"""orjson behind the codec gives the standard library's exact bytes and values (the oracle)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from taxi_platform.defs.logs.fast_json import (
    canonical_lines,
    distinct_lines_text,
    loads,
    sorted_lines_text,
)

MANY = settings(max_examples=300, deadline=None)
# Every JSON value, with what orjson and the standard library write or read differently:
# non-ASCII and DEL text, floats of any magnitude (1e-05, 0.0001, 1e+16), integers beyond
# 64 bits, nesting.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False)
    | st.text()
    | st.text('\x7f\x1fa\u00e9\u4e2d\U0001f600\\"', max_size=4)
    | st.sampled_from([",{", "},{", '",{"'])  # what sorted_lines_text cuts the array at
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
)
objects = st.dictionaries(st.text(max_size=6), values, max_size=6)


def stdlib_line(record: dict) -> bytes:
    return json.dumps(record, separators=(",", ":"), sort_keys=True).encode("ascii")


@MANY
@given(st.lists(objects, max_size=8))
def test_canonical_lines_are_the_standard_librarys(records: list[dict]) -> None:
    assert canonical_lines(records) == [stdlib_line(record) for record in records]


@MANY
@given(st.lists(objects, max_size=8))
def test_sorted_lines_text_is_the_standard_librarys(records: list[dict]) -> None:
    expected = b"".join(line + b"\n" for line in sorted(map(stdlib_line, records)))
    assert sorted_lines_text(records) == expected


@MANY
@given(
    st.lists(objects, max_size=6).flatmap(
        lambda some: st.lists(st.sampled_from(some) if some else objects, max_size=10)
    )
)
def test_distinct_lines_text_drops_exact_duplicates(records: list[dict]) -> None:
    """Records drawn with repeats: the first of each canonical line, in order, and the text
    of those lines, as the standard library writes them."""
    firsts: dict[bytes, dict] = {}
    for record in records:
        firsts.setdefault(stdlib_line(record), record)
    unique, text = distinct_lines_text(records)
    assert unique == list(firsts.values())
    assert text == b"".join(line + b"\n" for line in sorted(firsts))


@MANY
@given(values, st.booleans(), st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :\n")]))
def test_loads_reads_what_json_reads(value: object, ascii_only: bool, separators) -> None:
    document = json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode()
    # repr tells 1 from 1.0 and 0.0 from -0.0, which == does not
    assert repr(loads(document)) == repr(json.loads(document))


@MANY
@given(st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_loads_fails_as_json_fails(document: bytes) -> None:
    try:
        expected = repr(json.loads(document))
    except (ValueError, RecursionError) as error:
        expected = f"{type(error).__name__}: {error}"
    try:
        got = repr(loads(document))
    except (ValueError, RecursionError) as error:
        got = f"{type(error).__name__}: {error}"
    assert got == expected


def test_numbers_orjson_alone_would_change() -> None:
    documents = [b"[18446744073709551616]", b'{"a": -9223372036854775809}', b"99999999999999999999"]
    for document in documents:
        assert repr(loads(document)) == repr(json.loads(document))
    records = [{"f": 1e-05}, {"f": [1.5e-07, -0.00001]}, {"i": 2**64}, {"t": "\x7f\u00e9"}]
    records += [{"t": "\x7f"}, {"k\x7f": 1}, {"t": "a"}]  # DEL alone: ASCII, yet escaped
    assert canonical_lines(records) == [stdlib_line(record) for record in records]
    for some in (records, [record for record in records if "i" not in record]):
        assert sorted_lines_text(some) == b"".join(
            line + b"\n" for line in sorted(map(stdlib_line, some))
        )
