"""The `dev`/`demo` companion: the counters simulator as a background process of a stack."""

import time

import boto3
import pytest

from taxi_platform_dev.domains import tool_modules
from taxi_platform_dev.domains.counters.companion import PROCESS_NAME, start
from taxi_platform_dev.local.moto import DYNAMODB_KEYS, Endpoints, create_resources
from taxi_platform_dev.local.processes import pid_alive, terminate
from taxi_platform_dev.local.stack import Stack

TABLES = {variable: f"companion-{name}" for variable, (name, _) in DYNAMODB_KEYS.items()}


@pytest.fixture
def own_tables(stack_env, monkeypatch):
    """Tables of its own, so the background writer never touches the shared counters."""
    create_resources(
        Endpoints.of(stack_env),
        stack_env["AWS_REGION"],
        stack_env["TAXI_LAKE_BUCKET"],
        TABLES,
    )
    for variable, table in TABLES.items():
        monkeypatch.setenv(variable, table)
    yield TABLES
    client = boto3.client("dynamodb")
    for table in TABLES.values():
        client.delete_table(TableName=table)


def test_the_simulator_starts_once_writes_counters_and_is_registered(own_tables, tmp_path):
    assert start.__module__ in {m.__name__ for m in tool_modules("companion")}
    home = Stack(tmp_path / "stack", say=lambda _msg: None)

    start(home)
    pid = home.load()["extra_processes"][PROCESS_NAME]["pid"]
    try:
        start(home)  # already running: not a second one
        assert home.load()["extra_processes"][PROCESS_NAME]["pid"] == pid
        flags = own_tables["TAXI_FLAG_TABLE"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and pid_alive(pid):
            if boto3.client("dynamodb").scan(TableName=flags)["Count"] == 2:
                break
            time.sleep(0.5)
        log = (home.home / f"{PROCESS_NAME}.log").read_text()
        assert boto3.client("dynamodb").scan(TableName=flags)["Count"] == 2, log
    finally:
        assert terminate(pid)
    assert "simulating counters" in log
