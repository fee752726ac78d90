"""Hostile input, generated: nasty records and batches through codec → bronze → Silver.

Invariant: every input record is either published exactly once (bronze holds it once,
Silver types it) or quarantined exactly once with a reason, and the run succeeds. The
property runs on the pure pipeline (real Fernet, the same functions the assets call) with
many examples, and on the real resources (moto S3, Dagster runs of `api_logs` and
`click_events`) with a few. Default suite: bounded (≈ a minute); the `hostile-long` profile
(taxi_platform_tests/conftest.py) runs ten times more examples and 20 MB strings.
"""

import io
import json
from datetime import UTC, date, datetime, timedelta, timezone

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from taxi_platform.defs.clicks.click_events import QUARANTINE_CHECK, click_events, silver_key
from taxi_platform.defs.clicks.silver_schema import drop_exact_duplicates, hour_table
from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.bronze import LandedBatch, build_hours, quarantine_bytes
from taxi_platform.defs.logs.checks import api_logs_checks
from taxi_platform.defs.logs.codec import (
    MAX_BIGINT,
    MAX_DEPTH,
    decompress_records,
    record_identity,
)
from taxi_platform.defs.logs.layout import landing_key, parse_landing_key
from taxi_platform.defs.logs.quarantine_check import api_logs_nothing_quarantined
from taxi_platform.defs.logs.store import read_quarantine
from taxi_platform_tests.logs.conftest import delete_prefixes
from taxi_platform_tests.logs.helpers import other_hours_empty, silver_day_prefixes
from taxi_platform_tests.support import QUIET, checks, materializations

# The hostile-long profile raises max_examples tenfold; the suite scales with it.
LONG = settings.default.max_examples >= 1000
PURE_EXAMPLES = 400 if LONG else 60
RUN_EXAMPLES = 40 if LONG else 4
BIG = 20_000_000 if LONG else 1_000_000  # characters of the biggest generated string

HOUR = datetime(2026, 3, 9, 14, tzinfo=UTC)
FETCHED_AT = HOUR + timedelta(minutes=30)  # only hour 14 reads this batch in time
KEY = Fernet.generate_key()

# --- strategies -------------------------------------------------------------------------

in_hour = st.integers(0, 3599 * 10**6).map(
    lambda us: (HOUR + timedelta(microseconds=us)).isoformat(timespec="microseconds")
)
other_offset = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)

in_hour_any_offset = st.tuples(st.integers(0, 3599 * 10**6), other_offset).map(
    lambda t: (
        (HOUR + timedelta(microseconds=t[0])).astimezone(t[1]).isoformat(timespec="microseconds")
    )
)
late_or_future = (
    st.integers(-400 * 24, 400 * 24)
    .filter(lambda h: h != 0)
    .map(lambda h: (HOUR + timedelta(hours=h, minutes=7)).isoformat(timespec="microseconds"))
)
bad_in_date = (
    st.sampled_from(
        [
            "2026-03-09T14:05:00Z",  # Z instead of an offset
            "2026-03-09T14:05:00+00:00",  # no microseconds
            "2026-03-09T14:05:00.000000+0000",  # offset without colon
            "2026-03-09T14:05:00.000000+24:00",  # offset out of range
            "2026-02-30T14:05:00.000000+00:00",  # no such day
            "0000-01-01T00:00:00.000000+00:00",  # year 0
            "9999-12-31T23:59:59.999999-23:59",  # past year 9998
            "",
        ]
    )
    | st.integers()
    | st.none()
)
clean_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=20
)
nasty_text = st.one_of(
    clean_text.map(lambda t: t + "\x00"),
    clean_text.map(lambda t: t[:1] + "\ud800" + t[1:]),
    st.just("\udfff"),
    st.just(""),
    st.sampled_from([BIG, 65_537]).map(lambda n: "x" * n),
)
wrong_type = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.lists(st.integers(), max_size=2)
)
document_ids = st.one_of(
    st.integers(0, MAX_BIGINT),
    st.sampled_from([MAX_BIGINT, MAX_BIGINT + 1, 10**30, -1, 2**64]),
    st.integers(-(10**40), 10**40),
    st.just(True),
    st.floats(allow_nan=False),
    clean_text,
)


def deep(depth: int) -> object:
    value: object = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(),  # NaN and ±Infinity included
    clean_text,
    nasty_text.filter(lambda t: len(t) < 100_000),
)
extra_values = st.one_of(
    json_leaf,
    st.recursive(
        json_leaf,
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(clean_text, kids, max_size=3),
        max_leaves=8,
    ),
    st.integers(MAX_DEPTH - 2, 400).map(deep),
)


@st.composite
def records(draw) -> object:
    """A record as served: mostly valid, with zero or more hostile mutations."""
    kind = draw(st.sampled_from(["search", "view", "view-with-area"]))
    record: dict = {
        "user_id": draw(st.binary(min_size=32, max_size=32)).hex(),
        "session_id": draw(clean_text),
        "method": draw(st.sampled_from(["GET", "POST"])),
        "url": draw(clean_text),
        "inDate": draw(in_hour_any_offset),
    }
    if kind == "search":
        record |= {"query": draw(clean_text), "clinical_area": draw(clean_text)}
    else:
        record |= {"document_id": draw(st.integers(0, MAX_BIGINT)), "title": draw(clean_text)}
        if kind == "view-with-area":
            record["clinical_area"] = draw(clean_text)
    for _ in range(draw(st.integers(0, 2))):
        if type(record) is dict:  # `_whole` may have made it a non-object
            record = draw(st.sampled_from(MUTATIONS))(draw, record)
    return record


def _text_field(draw, record):
    field = draw(st.sampled_from(sorted(k for k, v in record.items() if type(v) is str)))
    return {**record, field: draw(nasty_text | wrong_type)}


def _document_id(draw, record):
    return {**record, "document_id": draw(document_ids)} if "document_id" in record else record


def _extra(draw, record):
    return {**record, draw(clean_text.filter(lambda k: k not in record)): draw(extra_values)}


def _in_date(draw, record):
    return {**record, "inDate": draw(late_or_future | bad_in_date)}


def _kind(draw, record):
    if "query" in record:
        return {**record, "document_id": 1}  # both kinds
    return {k: v for k, v in record.items() if k not in ("document_id", "title")}  # neither


def _whole(draw, record):
    return draw(st.sampled_from([[record], "record", None, 7, []]))


def _user_or_method(draw, record):
    field = draw(st.sampled_from(["user_id", "method"]))
    return {**record, field: draw(st.sampled_from(["A" * 64, "get", "", 1, None]))}


MUTATIONS = [_text_field, _document_id, _extra, _in_date, _kind, _whole, _user_or_method]


@st.composite
def batches(draw) -> tuple[list[object], list[tuple[str, bytes]]]:
    """(records of one readable batch with duplicates, unreadable batches: a bad token in a
    good landing object, or a landing object that is not a log API response at all)."""
    served = draw(st.lists(records(), min_size=1, max_size=12))
    served += draw(st.lists(st.sampled_from(served), max_size=3))  # exact duplicates
    junk = draw(
        st.lists(
            st.sampled_from(
                [
                    ("token", Fernet(KEY).encrypt(b"[" * 200_000)),  # nesting beyond the parser
                    ("token", Fernet(KEY).encrypt(b'{"not": "an array"}')),
                    ("token", Fernet(KEY).encrypt(b"[1, 2")),  # truncated JSON
                    ("token", Fernet(KEY).encrypt(b"[]")[:-9]),  # truncated token
                    ("token", Fernet.generate_key()),  # not a token
                    ("object", b""),  # an empty landing object
                    ("object", b'{"recordId": "x", "data": "gAAAA'),  # truncated object
                    ("object", b'{"data": 5}'),  # wrong type
                    ("object", b'{"data": ' + b"[" * 100_000),  # too deep to parse
                ]
            ),
            max_size=2,
        )
    )
    return served, junk


def served_json(records: list[object]) -> bytes:
    """JSON text of the records as an API would send it (lone surrogates as \\u escapes)."""
    return json.dumps(records, allow_nan=True, ensure_ascii=True).encode("ascii")


# --- the invariant ----------------------------------------------------------------------


def strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def quarantined_positions_of(documents) -> list[int]:
    return sorted(
        r["index"] for d in documents.values() for r in d["records"] if r["index"] is not None
    )


def left_for_their_hour(served, documents) -> list[int]:
    """Positions of the records (not rejected) of an earlier hour fetched within the lateness
    the pipeline re-opens hours for (7 days): HOUR's run leaves them to their own hour's run,
    so they are neither in HOUR's bronze nor in its quarantine."""
    rejected = set(quarantined_positions_of(documents))
    left = []
    for position, record in enumerate(served):
        if position in rejected or not isinstance(record, dict):
            continue
        try:
            hour = datetime.fromisoformat(record["inDate"]).astimezone(UTC)
        except (KeyError, TypeError, ValueError):
            continue
        hour = hour.replace(minute=0, second=0, microsecond=0)
        if hour < HOUR and FETCHED_AT - hour < timedelta(days=7):
            left.append(position)
    return left


def assert_published_or_quarantined_once(served, bronze, documents, duplicates, junk, late_index):
    """Each served record: in bronze once (exact duplicates counted once), in quarantine
    exactly once with a reason, or left to its own (earlier) hour, which the fetch hour's
    late index names; each unreadable batch quarantined once as a batch."""
    left = left_for_their_hour(served, documents)
    assert {
        datetime.fromisoformat(served[p]["inDate"])
        .astimezone(UTC)
        .replace(minute=0, second=0, microsecond=0)
        for p in left
    } == set(late_index)
    entries = [r for d in documents.values() for r in d["records"]]
    assert all(e["reason"] and e["error"] for e in entries)
    assert sum(d["batch_error"] is not None for d in documents.values()) == len(junk)
    published_ids = {record_identity(r) for r in bronze}
    assert len(published_ids) == len(bronze)  # each published once
    quarantined_positions = quarantined_positions_of(documents)
    assert len(set(quarantined_positions)) == len(quarantined_positions)
    late = [e for e in entries if e["index"] is None]
    assert len(bronze) + duplicates + len(entries) + len(left) == len(served)
    raw_bronze, rejected = decompress_records(bronze)
    assert rejected == []
    canonical = {json.dumps(r, sort_keys=True) for r in raw_bronze}
    for position, record in enumerate(served):
        if position in quarantined_positions or position in left:
            continue
        text = json.dumps(record, sort_keys=True)
        assert text in canonical or any(
            json.dumps(e["record"], sort_keys=True) == text for e in late
        )


def assert_silver_can_store(raw_bronze: list[dict]) -> pa.Table:
    table, _ = drop_exact_duplicates(hour_table(raw_bronze, HOUR))
    pq.write_table(table, io.BytesIO())  # Silver's own write
    for column in ("session_id", "url", "query", "clinical_area", "title", "extra_fields"):
        for value in table.column(column).to_pylist():
            if value is not None:
                assert "\x00" not in value
                value.encode("utf-8")  # no lone surrogate
    for extra in table.column("extra_fields").to_pylist():
        if extra is not None:
            strict_json(extra)
    return table


def landing_objects(served: list[object], junk, fernet: Fernet) -> list[bytes]:
    """The landing objects of one test: the readable batch first, then the junk."""
    objects = []
    for i, (kind, data) in enumerate([("token", fernet.encrypt(served_json(served))), *junk]):
        if kind == "object":
            objects.append(data)
        else:
            token = data.decode("latin-1")
            objects.append(json.dumps({"recordId": f"b{i}", "data": token}).encode())
    return objects


def run_pure(served: list[object], junk):
    landed = [
        LandedBatch(
            parse_landing_key(landing_key(FETCHED_AT + timedelta(seconds=i), f"b{i}")), body
        )
        for i, body in enumerate(landing_objects(served, junk, Fernet(KEY)))
    ]
    return build_hours(landed, [HOUR], Fernet(KEY)).hours[HOUR]


@settings(
    max_examples=PURE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches())
def test_every_record_is_published_once_or_quarantined_once(batch):
    served, junk = batch
    output = run_pure(served, junk)
    for document in output.quarantine.values():
        json.loads(quarantine_bytes(document))  # every quarantine document can be written
    assert_published_or_quarantined_once(
        json.loads(served_json(served)),
        output.records,
        output.quarantine,
        output.duplicates,
        junk,
        output.late_index,
    )
    raw_bronze, _ = decompress_records(output.records)
    table = assert_silver_can_store(raw_bronze)
    assert table.num_rows == len(output.records)
    assert output.landed == len(output.records) + output.quarantined_records + output.duplicates
    for reason in output.quarantine_reasons:  # shown by --hypothesis-show-statistics
        event(f"quarantined: {reason}")
    event(f"published: {'some' if output.records else 'none'}")


# --- the same on the real resources ------------------------------------------------------

DAY = date(2026, 3, 9)


@pytest.fixture
def hostile_day(lake):
    prefixes = silver_day_prefixes(DAY)

    def clean() -> None:
        delete_prefixes(lake, prefixes)
        other_hours_empty(lake, HOUR)

    yield clean
    delete_prefixes(lake, prefixes)


@settings(
    max_examples=RUN_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(batch=batches())
def test_hostile_batches_through_the_real_pipeline(batch, resources, lake, stack_env, hostile_day):
    served, junk = batch
    hostile_day()
    key = Fernet(stack_env["TAXI_LOG_FERNET_KEY"].encode())
    for i, body in enumerate(landing_objects(served, junk, key)):
        lake.put_bytes(landing_key(FETCHED_AT + timedelta(seconds=i), f"h{i}"), body)

    bronze = dg.materialize(
        [api_logs, api_logs_checks, api_logs_nothing_quarantined],
        resources=resources,
        partition_key=f"{HOUR:%Y-%m-%d-%H:%M}",
        run_config=QUIET,
        raise_on_error=False,
    )
    silver = dg.materialize(
        [click_events], resources=resources, partition_key=str(DAY), run_config=QUIET
    )

    assert bronze.success and silver.success
    meta = materializations(bronze, api_logs)[0]
    documents = read_quarantine(lake, HOUR)
    written = meta["records_written"]
    left = left_for_their_hour(json.loads(served_json(served)), documents)
    assert written + meta["records_quarantined"] + meta["duplicates"] + len(left) == len(served)
    assert meta["batches_quarantined"] == len(junk)
    found = checks(bronze)
    assert found["no_loss"].passed and found["decodes"].passed
    assert found["nothing_quarantined"].passed is (not documents)
    table = pq.read_table(io.BytesIO(lake.get_bytes(silver_key(DAY))))
    assert table.num_rows == written
    assert checks(silver)[QUARANTINE_CHECK].passed
