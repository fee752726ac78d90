"""`taxi-platform check-config --connect` against the real session stack and a log API
simulator over HTTP: every probe passes when the settings are right, and each wrong setting
fails its own probe in one line that names the variable, without printing any secret."""

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet

from taxi_platform_dev.cli import main
from taxi_platform_dev.domains.logs.simulator import (
    LogApiSimulator,
    SimulatorConfig,
    start_in_thread,
)
from taxi_platform_dev.local.processes import free_port

PROBES = [
    "lake",
    "dynamodb",
    "postgres_db",
    "daily_stats_db",
    "gold_db",
    "log_api",
    "spark",
    "reference",
]


@pytest.fixture
def log_api(stack_env, monkeypatch) -> Iterator[str]:
    """The simulator over HTTP, encrypting with the stack's key, as `dev` would run it."""
    # The simulator's clock starts at `start` when it is created; an hour later at once, so
    # that twenty windows have completed and `GET /logs` serves the latest.
    offsets = itertools.chain([0.0], itertools.repeat(3600.0))
    simulator = LogApiSimulator(
        SimulatorConfig(start=datetime.now(UTC) - timedelta(hours=1), records_per_window=7),
        clock=lambda: time.monotonic() + next(offsets),
    )
    url, stop = start_in_thread(simulator, Fernet(stack_env["TAXI_LOG_FERNET_KEY"]))
    monkeypatch.setenv("TAXI_LOG_API_URL", f"{url}/logs")
    yield url
    stop()


def test_every_service_of_the_stack_is_reached(log_api, capsys):
    assert main(["check-config", "--connect"]) == 0
    probes = report_of(capsys.readouterr().out)
    assert list(probes) == PROBES
    assert all(ok for ok, _ in probes.values()), probes
    assert probes["log_api"][1].startswith("7 records in the latest batch")
    assert probes["gold_db"][1] == "gold_writer@gold (TAXI_GOLD_URL)"


def test_each_wrong_setting_fails_its_probe_naming_the_variable(
    log_api, stack_env, monkeypatch, capsys
):
    gold = urlsplit(stack_env["TAXI_GOLD_URL"])
    wrong_password = "not-the-" + gold.password
    netloc = f"{gold.username}:{wrong_password}@{gold.hostname}:{gold.port}"
    other_key = Fernet.generate_key().decode()
    monkeypatch.setenv("TAXI_GOLD_URL", urlunsplit(gold._replace(netloc=netloc)))
    monkeypatch.setenv("TAXI_LAKE_BUCKET", "no-such-lake")
    monkeypatch.setenv("TAXI_FLAG_TABLE", "no-such-flags")
    monkeypatch.setenv("TAXI_LOG_FERNET_KEY", other_key)
    monkeypatch.setenv("TAXI_SPARK_MASTER", f"spark://127.0.0.1:{free_port()}")

    assert main(["check-config", "--connect"]) == 2
    output = capsys.readouterr().out
    probes = report_of(output)
    failed = {name: detail for name, (ok, detail) in probes.items() if not ok}
    assert set(failed) == {"lake", "dynamodb", "gold_db", "log_api", "spark"}
    assert "TAXI_LAKE_BUCKET" in failed["lake"] and "no-such-lake" in failed["lake"]
    assert "TAXI_FLAG_TABLE" in failed["dynamodb"]
    assert "TAXI_GOLD_URL" in failed["gold_db"] and "password authentication" in failed["gold_db"]
    assert "TAXI_LOG_FERNET_KEY" in failed["log_api"]
    assert "TAXI_SPARK_MASTER" in failed["spark"]
    for secret in (wrong_password, gold.password, other_key, stack_env["TAXI_LOG_FERNET_KEY"]):
        assert secret not in output


def report_of(output: str) -> dict[str, tuple[bool, str]]:
    parsed = {}
    for line in output.strip().splitlines():
        status, name, detail = line.split(None, 2)
        parsed[name] = (status == "ok", detail)
    return parsed
