"""The log API simulator: content model, clock, HTTP endpoint, faults, CLI, key hygiene."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet, InvalidToken

from taxi_platform.defs.logs.codec import validate_record
from taxi_platform_dev.domains.logs.simulator import (
    KEY_VARIABLE,
    RETURNING_SHARE,
    FaultPlan,
    LogApiSimulator,
    SimulatorConfig,
    add_cli,
    run_log_api,
    start_in_thread,
)
from taxi_platform_dev.domains.rhythm import CLICK_RHYTHM

START = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
THREE_MINUTES = timedelta(minutes=3)
REQUIRED = {"user_id", "session_id", "method", "url", "inDate"}


def simulator(seed: int = 7, **options: object) -> LogApiSimulator:
    return LogApiSimulator(SimulatorConfig(start=START, seed=seed, **options))  # type: ignore[arg-type]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def key() -> str:
    return Fernet.generate_key().decode()


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def served(key: str) -> Iterator[tuple[str, LogApiSimulator]]:
    source = simulator(
        faults=FaultPlan(
            at={
                1: frozenset({"bad_token"}),
                2: frozenset({"malformed_json"}),
                3: frozenset({"missing_field"}),
                4: frozenset({"duplicate"}),
                6: frozenset({"duplicate", "missing_field"}),
            }
        )
    )
    url, stop = start_in_thread(source, Fernet(key))
    try:
        yield url, source
    finally:
        stop()


# --- content ----------------------------------------------------------------------------------


def test_same_seed_same_records_other_seed_other_records() -> None:
    for index in (0, 5, 1000):
        assert simulator(7).window_records(index) == simulator(7).window_records(index)
        assert simulator(7).window_records(index) != simulator(8).window_records(index)


def test_records_per_window_and_in_date_inside_the_window() -> None:
    source = simulator(records_per_window=37)
    for index in (0, 1, 479):
        records = source.window_records(index)
        assert len(records) == 37
        start, end = START + index * THREE_MINUTES, START + (index + 1) * THREE_MINUTES
        instants = [datetime.fromisoformat(r["inDate"]) for r in records]
        assert all(start <= instant < end for instant in instants)
        assert instants == sorted(instants)
    assert len(simulator().window_records(3)) == 100


def test_records_look_like_tripclick() -> None:
    records = [r for index in range(20) for r in simulator().window_records(index)]
    for record in records:
        validate_record(record)
        assert re.fullmatch(r"[0-9a-f]{64}", record["user_id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", record["inDate"])
        url = urlsplit(record["url"])
        if "query" in record:
            assert url.path == "/search"
            assert parse_qs(url.query) == {
                "q": [record["query"]],
                "area": [record["clinical_area"]],
            }
        else:
            assert type(record["document_id"]) is int
            assert record["url"] == f"/doc/{record['document_id']}"
            assert record["method"] == "GET"
    offsets = {datetime.fromisoformat(r["inDate"]).utcoffset() for r in records}
    assert offsets == {timedelta(hours=h, minutes=m) for h, m in ((9, 0), (0, 0), (-5, 0), (5, 30))}
    views = [r for r in records if "document_id" in r]
    assert 0.3 < len(views) / len(records) < 0.9
    assert any("clinical_area" not in r for r in views)
    assert {r["method"] for r in records} == {"GET", "POST"}
    assert len({r["clinical_area"] for r in records if "clinical_area" in r}) == 30


def test_sessions_belong_to_one_user_and_are_short() -> None:
    sessions: dict[str, list[dict]] = defaultdict(list)
    for index in range(10):
        for record in simulator().window_records(index):
            sessions[record["session_id"]].append(record)
    assert all(len({r["user_id"] for r in events}) == 1 for events in sessions.values())
    assert max(map(len, sessions.values())) <= 6


# --- clock -------------------------------------------------------------------------------------


def test_clock_runs_at_speed_and_windows_complete_in_order() -> None:
    clock = FakeClock()
    source = LogApiSimulator(SimulatorConfig(start=START, speed=480), clock=clock)
    assert source.latest_completed_window() is None
    clock.now += 0.374  # 179.52 simulated seconds
    assert source.latest_completed_window() is None
    clock.now += 0.001
    assert source.simulated_now() == START + THREE_MINUTES
    assert source.latest_completed_window() == 0
    clock.now += 180  # a day at speed 480
    assert source.simulated_now() == START + timedelta(days=1, minutes=3)
    assert source.latest_completed_window() == 480


def test_window_at() -> None:
    source = simulator()
    assert source.window_at(START + timedelta(minutes=7)) == 2
    assert source.window_at(datetime(2026, 11, 21, 9, 3, tzinfo=timezone(timedelta(hours=9)))) == 1
    with pytest.raises(ValueError, match="before window 0"):
        source.window_at(START - timedelta(seconds=1))
    with pytest.raises(ValueError, match="offset"):
        source.window_at(datetime(2026, 11, 21, 1))


# --- HTTP --------------------------------------------------------------------------------------


def test_http_serves_the_window_records_encrypted(served: tuple, key: str) -> None:
    url, source = served
    status, headers, body = get(f"{url}/logs?window=5")
    assert status == 200
    response = json.loads(body)
    assert set(response) == {"recordId", "ArrivalTimeStamp", "data"}
    assert json.loads(Fernet(key).decrypt(response["data"])) == source.window_records(5)
    assert headers["X-Log-Window"] == "5"
    assert response["ArrivalTimeStamp"] == "2026-11-21T00:18:00+00:00"
    again = json.loads(get(f"{url}/logs?window=5")[2])
    assert again["recordId"] == response["recordId"]
    assert json.loads(get(f"{url}/logs?window=7")[2])["recordId"] != response["recordId"]
    assert source.served_windows == [5, 7]


def test_http_at_and_health(served: tuple) -> None:
    url, _ = served
    status, headers, _ = get(f"{url}/logs?at=2026-11-21T09:04:59%2B09:00")
    assert (status, headers["X-Log-Window"]) == (200, "1")
    status, _, body = get(f"{url}/health")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_http_latest_window_follows_the_clock(key: str) -> None:
    clock = FakeClock()
    source = LogApiSimulator(SimulatorConfig(start=START, seed=3, speed=60), clock=clock)
    url, stop = start_in_thread(source, Fernet(key))
    try:
        status, headers, _ = get(f"{url}/logs")
        assert status == 503
        assert headers["Retry-After"] == "3"
        clock.now += 10  # ten simulated minutes: windows 0, 1, 2 are complete
        status, headers, body = get(f"{url}/logs")
        assert (status, headers["X-Log-Window"], headers["X-Log-Latest-Window"]) == (200, "2", "2")
        records = json.loads(Fernet(key).decrypt(json.loads(body)["data"]))
        assert records == source.window_records(2)
    finally:
        stop()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/logs?window=-1", 400),
        ("/logs?window=x", 400),
        ("/logs?window=1&at=2026-11-21T00:00:00%2B00:00", 400),
        ("/logs?at=yesterday", 400),
        ("/logs?at=2026-11-20T23:59:59%2B00:00", 400),
        ("/nope", 404),
    ],
)
def test_http_bad_requests(served: tuple, path: str, status: int) -> None:
    url, _ = served
    code, _, body = get(url + path)
    assert code == status
    assert "error" in json.loads(body)


# --- faults ------------------------------------------------------------------------------------


def test_faults_appear_exactly_where_requested(served: tuple, key: str) -> None:
    url, source = served
    clean = simulator()  # same seed, no faults: the reference
    fernet = Fernet(key)
    tokens = {k: json.loads(get(f"{url}/logs?window={k}")[2])["data"] for k in range(8)}
    assert source.served_windows == list(range(8))

    for k in (0, 5, 7):
        assert json.loads(fernet.decrypt(tokens[k])) == clean.window_records(k)
        window = source.window(k)
        assert (window.faults, window.faulty_records) == (frozenset(), {})

    with pytest.raises(InvalidToken):
        fernet.decrypt(tokens[1])
    assert source.window(1).records == clean.window_records(1)
    with pytest.raises(ValueError):
        json.loads(fernet.decrypt(tokens[2]))

    def check_missing_field(served: list[dict], expected: list[dict], position: int) -> None:
        assert [r for i, r in enumerate(served) if i != position] == [
            r for i, r in enumerate(expected) if i != position
        ]
        missing = set(expected[position]) - set(served[position])
        assert len(missing) == 1 and missing <= REQUIRED | {"clinical_area", "title"}
        assert served[position] == {k: v for k, v in expected[position].items() if k not in missing}

    def without_copy(served: list[dict], k: int, copy: int) -> list[dict]:
        assert served[copy] in clean.window_records(k) + clean.window_records(k - 1)
        return served[:copy] + served[copy + 1 :]

    served_3 = json.loads(fernet.decrypt(tokens[3]))
    ((broken, kind),) = source.window(3).faulty_records.items()
    assert kind == "missing_field"
    check_missing_field(served_3, clean.window_records(3), broken)

    served_4 = json.loads(fernet.decrypt(tokens[4]))
    ((copy, kind),) = source.window(4).faulty_records.items()
    assert (kind, len(served_4)) == ("duplicate", 101)
    assert without_copy(served_4, 4, copy) == clean.window_records(4)

    served_6 = json.loads(fernet.decrypt(tokens[6]))
    faulty = {kind: i for i, kind in source.window(6).faulty_records.items()}
    assert len(served_6) == 101 and set(faulty) == {"duplicate", "missing_field"}
    after_copy = faulty["missing_field"] - (faulty["missing_field"] > faulty["duplicate"])
    check_missing_field(
        without_copy(served_6, 6, faulty["duplicate"]), clean.window_records(6), after_copy
    )


def test_fault_rate_breaks_a_seeded_share_of_windows() -> None:
    source = simulator(faults=FaultPlan(kinds=frozenset({"duplicate", "bad_token"}), rate=0.3))
    clean = simulator()
    windows = [source.window(k) for k in range(100)]
    broken = [w for w in windows if w.faults]
    assert 15 <= len(broken) <= 45
    assert set().union(*(w.faults for w in broken)) == {"duplicate", "bad_token"}
    assert all(len(w.faults) == 1 for w in broken)
    for window in windows:
        if not window.faults:
            assert window.records == clean.window_records(window.index)
    assert [w.faults for w in windows] == [source.window(k).faults for k in range(100)]


@pytest.mark.parametrize(
    "plan",
    [
        {"kinds": frozenset({"typo"}), "rate": 0.1},
        {"at": {3: frozenset({"typo"})}},
        {"kinds": frozenset({"duplicate"}), "rate": 1.5},
        {"rate": 0.2},
    ],
)
def test_fault_plan_is_checked(plan: dict) -> None:
    with pytest.raises(ValueError):
        FaultPlan(**plan)


# --- the key stays secret ----------------------------------------------------------------------


def test_key_never_in_responses_or_logs(
    served: tuple, key: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture
) -> None:
    url, _ = served
    caplog.set_level(logging.DEBUG)
    paths = ["/health", "/logs?window=0", "/logs?window=1", "/logs?window=2", "/logs?window=x"]
    bodies = [get(url + path) for path in [*paths, "/nope", "/logs?at=yesterday"]]
    for status, headers, body in bodies:
        assert status
        assert key not in body.decode() and key not in json.dumps(headers)
    assert "GET /logs?window=0" in caplog.text  # the request log was captured
    captured = capfd.readouterr()
    assert key not in caplog.text + captured.out + captured.err


# --- CLI ---------------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers())
    return parser.parse_args(["log-api", *argv])


def test_cli_options() -> None:
    args = parse(
        "--port", "0", "--seed", "4", "--speed", "480", "--start", "2026-11-21T09:00:00+09:00",
        "--records-per-window", "50", "--faults", "duplicate,bad_token", "--fault-rate", "0.5",
    )  # fmt: skip
    assert (args.host, args.port, args.seed, args.speed) == ("127.0.0.1", 0, 4, 480.0)
    assert args.start == datetime(2026, 11, 21, tzinfo=UTC)
    assert (args.records_per_window, args.fault_rate) == (50, 0.5)
    assert args.faults == {"duplicate", "bad_token"}
    assert args.func is run_log_api


@pytest.mark.parametrize(
    ("value", "problem"), [(None, "is not set"), ("zzz-secret", "not a Fernet")]
)
def test_cli_explains_a_missing_or_bad_key(
    monkeypatch: pytest.MonkeyPatch, value: str | None, problem: str
) -> None:
    from taxi_platform.settings import ConfigError  # imports Dagster: only where needed

    if value is None:
        monkeypatch.delenv(KEY_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(KEY_VARIABLE, value)
    with pytest.raises(ConfigError) as caught:
        run_log_api(parse())
    message = str(caught.value)
    assert KEY_VARIABLE in message and problem in message
    assert "Fernet.generate_key()" in message
    assert "zzz-secret" not in message


def test_cli_serves_until_sigterm(key: str) -> None:
    from taxi_platform.settings import timezone  # imports Dagster: only where needed

    harness = (
        "import argparse, sys; from taxi_platform_dev.domains.logs.simulator import add_cli; "
        "p = argparse.ArgumentParser(); add_cli(p.add_subparsers()); "
        "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
    )
    argv = [sys.executable, "-c", harness, "log-api", "--seed", "7", "--start", START.isoformat()]
    env = {**os.environ, KEY_VARIABLE: key}
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as cli:
        try:
            banner = cli.stdout.readline().decode()  # type: ignore[union-attr]
            url = re.search(r"http://127\.0\.0\.1:\d+", banner).group(0)  # type: ignore[union-attr]
            response = json.loads(get(f"{url}/logs?window=2")[2])
            records = json.loads(Fernet(key).decrypt(response["data"]))
            # The CLI's default: the click rhythm on the business time zone's clock, and
            # returning visits.
            rhythm = CLICK_RHYTHM.in_zone(timezone())
            expected = simulator(rhythm=rhythm, returning_share=RETURNING_SHARE)
            assert records == expected.window_records(2)
            assert len(records) != len(simulator().window_records(2))  # not the flat 100
        finally:
            cli.send_signal(signal.SIGTERM)
            out, err = cli.communicate(timeout=10)
    assert cli.returncode == 0
    assert "stopped" in out.decode()
    assert key not in banner + out.decode() + err.decode()
