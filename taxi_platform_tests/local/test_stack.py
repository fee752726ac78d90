"""The embedded stack's lifecycle, on its own stack folder (not the session stack)."""

import socket
import subprocess

import psycopg
import pytest
from botocore.exceptions import ClientError

from taxi_platform.settings import ConfigError
from taxi_platform_dev.local.moto import SERVERS, session
from taxi_platform_dev.local.postgres import bin_dir
from taxi_platform_dev.local.processes import pid_alive
from taxi_platform_dev.local.stack import Stack


def _our_processes(home) -> list[str]:
    """Command lines of live processes that mention the stack folder (postgres, moto)."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(home) in line and "ps -eo" not in line]


@pytest.fixture
def own_stack(tmp_path):
    messages: list[str] = []
    stack = Stack(tmp_path / "stack", say=messages.append)
    stack.messages = messages
    yield stack
    stack.down()


def test_lifecycle_start_env_restart_stop(own_stack: Stack):
    state = own_stack.up()
    env = own_stack.env()
    assert env["TAXI_PLATFORM_ENV"] == "local"
    # S3 (and every other service) from one moto server, DynamoDB from one of its own.
    s3, dynamodb = (f"http://127.0.0.1:{state[name]['port']}" for name in SERVERS)
    assert env["AWS_ENDPOINT_URL"] == env["AWS_ENDPOINT_URL_S3"] == s3
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == dynamodb != s3
    assert len({state[name]["pid"] for name in ("postgres", *SERVERS)}) == 3
    aws = session(env["AWS_REGION"])
    assert (
        env["TAXI_PICKUP_TABLE"]
        in aws.client("dynamodb", endpoint_url=dynamodb).list_tables()["TableNames"]
    )
    assert aws.client("dynamodb", endpoint_url=s3).list_tables()["TableNames"] == []
    assert env["TAXI_LAKE_BUCKET"] in [
        b["Name"] for b in aws.client("s3", endpoint_url=s3).list_buckets()["Buckets"]
    ]
    with pytest.raises(ClientError, match=r"serves only dynamodb.*AWS_ENDPOINT_URL_S3"):
        aws.client("s3", endpoint_url=dynamodb).list_buckets()
    for variable in ("TAXI_POSTGRES_URL", "TAXI_DAILY_STATS_URL", "TAXI_GOLD_URL"):
        assert f"127.0.0.1:{state['postgres']['port']}" in env[variable]

    # psql over TCP with a password, as the README shows.
    out = subprocess.run(
        [str(bin_dir() / "psql"), env["TAXI_DAILY_STATS_URL"], "-Atc", "select current_user"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "stats_writer"

    # A second `up` finds the running stack and starts nothing.
    pids = tuple(state[name]["pid"] for name in ("postgres", *SERVERS))
    again = own_stack.up()
    assert tuple(again[name]["pid"] for name in ("postgres", *SERVERS)) == pids
    assert "already running" in own_stack.messages[-1]

    # Data survives a restart of PostgreSQL (same folder, same passwords).
    with psycopg.connect(env["TAXI_DAILY_STATS_URL"]) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS survives (v int)")
        conn.execute("INSERT INTO survives VALUES (42)")
    stopped = own_stack.down()
    assert [s.split()[0] for s in stopped] == ["postgres", *SERVERS]
    assert not any(pid_alive(pid) for pid in pids)
    assert _our_processes(own_stack.home) == []

    own_stack.up()
    with psycopg.connect(own_stack.env()["TAXI_DAILY_STATS_URL"]) as conn:
        assert conn.execute("SELECT v FROM survives").fetchall() == [(42,)]
    own_stack.down()
    assert _our_processes(own_stack.home) == []
    assert own_stack.down() == []


def test_password_auth_is_required(own_stack: Stack):
    own_stack.up()
    url = own_stack.env()["TAXI_GOLD_URL"]
    wrong = url.replace(url.split(":")[2].split("@")[0], "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_port_in_use_is_a_one_line_error(own_stack: Stack, monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setenv("TAXI_STACK_PG_PORT", str(port))
        with pytest.raises(ConfigError) as error:
            own_stack.up()
    message = str(error.value)
    assert "\n" not in message
    assert f"port {port}" in message and "TAXI_STACK_PG_PORT" in message
