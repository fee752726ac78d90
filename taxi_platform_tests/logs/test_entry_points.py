"""What users run: `dagster asset materialize` from a shell, and a backfill launched as the UI
launches it (GraphQL `launchPartitionBackfill` on a `dagster-webserver`), carried out by a real
`dagster-daemon` on a temporary instance. The shell materialization runs in the background
while the backfill's processes start, which keeps the two under two minutes together."""

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.codec import hour_object_key
from taxi_platform.settings import REPO_ROOT
from taxi_platform_dev.local.processes import free_port
from taxi_platform_tests.logs.helpers import day_start, replay
from taxi_platform_tests.support import assert_run_succeeded, materialize_command

SHELL_DAY, SHELL_PARTITION = date(2026, 11, 21), "2026-11-21-09:00"  # the example
BACKFILL_DAY = date(2026, 2, 5)
TIMEOUT = 240

STATES = """
query { repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { id scheduleState { status } } sensors { id sensorState { status } } } } } }
"""
STOP_SCHEDULE = "mutation($id: String) { stopRunningSchedule(id: $id) { __typename } }"
STOP_SENSOR = "mutation($id: String) { stopSensor(id: $id) { __typename } }"
LAUNCH = """
mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }
"""
STATUS = """
query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status } ... on PythonError { message } } }
"""


class Processes:
    """Processes this test starts, each in its own session, stopped by process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.started = env, logs, []

    def start(self, name: str, *command: str) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                env=self.env,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def processes(stack_env, tmp_path) -> Iterator[Processes]:
    home = tmp_path / "dagster_home"  # sqlite instance of its own: no schedule of the stack's
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    started = Processes({**os.environ, **stack_env, "DAGSTER_HOME": str(home)}, tmp_path)
    yield started
    started.stop()


def graphql(port: int, query: str, **variables) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer
    return answer["data"]


def wait_for(what: str, ready, processes: Processes, deadline: float):
    while not (value := ready()):
        assert time.monotonic() < deadline, f"{what} not ready; logs in {processes.logs}"
        time.sleep(1)
    return value


def _location_loaded(port: int) -> bool:
    """The webserver answers and has loaded the code location from the code server."""
    try:
        nodes = graphql(port, STATES)["repositoriesOrError"]["nodes"]
    except (OSError, KeyError, AssertionError):
        return False
    return bool(nodes)


def test_shell_materialize_and_a_ui_backfill_of_a_day(
    log_source, clean_days, lake, stack_env, processes
):
    clean_days(SHELL_DAY, BACKFILL_DAY)
    replay(log_source(SHELL_DAY, records_per_window=3).resources, 179, 203)  # 09:00 … 10:10
    deadline = time.monotonic() + TIMEOUT
    shell = subprocess.Popen(
        materialize_command(api_logs, partition=SHELL_PARTITION),
        env={**os.environ, **stack_env},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        workspace = _start_code_server(processes)
        replay(log_source(BACKFILL_DAY, records_per_window=2).resources, 0, 479)
        backfill_id, runs = _backfill_a_day(processes, workspace, deadline)
        output, _ = shell.communicate(timeout=max(1, deadline - time.monotonic()))
    finally:
        if shell.poll() is None:
            shell.kill()

    assert_run_succeeded(shell.returncode, output)
    assert "no_loss" in output
    shell_hour = day_start(SHELL_DAY) + timedelta(hours=9)
    assert lake.list_keys(f"logs/{SHELL_DAY:%Y/%m/%d}/") == [hour_object_key(shell_hour)]
    hours = [day_start(BACKFILL_DAY) + timedelta(hours=h) for h in range(24)]
    assert lake.list_keys(f"logs/{BACKFILL_DAY:%Y/%m/%d}/") == [hour_object_key(h) for h in hours]
    assert len(runs) == 1, f"backfill {backfill_id}: 24 hours should take one run"


def _start_code_server(processes: Processes) -> str:
    """One code server for the webserver and the daemon (the code location loads once)."""
    port = free_port()
    processes.start(
        *("code-server", "dagster", "api", "grpc", "-m", "taxi_platform.definitions"),
        *("-h", "127.0.0.1", "-p", str(port)),
    )
    workspace = processes.logs / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
        f"      port: {port}\n      location_name: taxi_platform\n"
    )
    return str(workspace)


def _backfill_a_day(processes: Processes, workspace: str, deadline: float) -> tuple[str, list]:
    port = free_port()
    processes.start(
        "webserver", "dagster-webserver", "-w", workspace, "-h", "127.0.0.1", "-p", str(port)
    )
    wait_for("dagster-webserver", lambda: _location_loaded(port), processes, deadline)
    for repository in graphql(port, STATES)["repositoriesOrError"]["nodes"]:
        for schedule in repository["schedules"]:
            if schedule["scheduleState"]["status"] == "RUNNING":
                graphql(port, STOP_SCHEDULE, id=schedule["id"])
        for sensor in repository["sensors"]:
            if sensor["sensorState"]["status"] == "RUNNING":
                graphql(port, STOP_SENSOR, id=sensor["id"])
    partitions = [f"{BACKFILL_DAY}-{h:02d}:00" for h in range(24)]
    params = {"assetSelection": [{"path": api_logs.key.path}], "partitionNames": partitions}
    launched = graphql(port, LAUNCH, params=params)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]
    processes.start("daemon", "dagster-daemon", "run", "-w", workspace)

    def finished() -> str | None:
        status = graphql(port, STATUS, id=backfill_id)["partitionBackfillOrError"]["status"]
        return status if status not in ("REQUESTED", "CANCELING", "FAILING") else None

    assert wait_for("the backfill", finished, processes, deadline) == "COMPLETED_SUCCESS"
    with dg.DagsterInstance.from_config(processes.env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    return backfill_id, runs
