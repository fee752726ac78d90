"""The daemon drives the platform on its own, and the instance copes with a dead run worker.

The real `dagster-daemon run` on an embedded stack of its own, with the instance the stack
writes from `infra/dagster/dagster.yaml` (storage on the stack's PostgreSQL) and the
companions (counter traffic, log API) running. A stack of its own, as `taxi-platform dev`
has: the companions move counters and land logs that no other test expects, and the module
can then run first on its test worker (it mostly waits on the clock) beside the demo on the
other. Nobody launches a run: the schedules and the automation sensors do. The same
definitions as in production, with cadences shortened through their variables (`FAST`) so
that it takes a few minutes:

- a snapshot run whose worker process is SIGKILLed is marked FAILURE and retried (run
  retries: a crash is not the asset's failure);
- counter snapshots every minute (schedule) → fresh rows in `zone_hourly_activity_log`;
- landing every minute (schedule) → `api_logs` of the hour just closed (the `logs`
  automation sensor, cron every 2 minutes) → its bronze object in the lake;
- every run since the daemon started came from a schedule, a sensor or a retry;
- compute logs are readable by their owner only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from taxi_platform.defs.logs.codec import hour_object_key
from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import REPO_ROOT
from taxi_platform_dev.cli import _default_signals  # the child setup of `taxi-platform dev`
from taxi_platform_dev.local.processes import pid_alive
from taxi_platform_dev.local.services import start_companions
from taxi_platform_dev.local.stack import Stack

FAST = {
    "TAXI_SNAPSHOT_EVERY_MINUTES": "1",
    "TAXI_LANDING_EVERY_MINUTES": "1",
    # `on_cron` wants landing updated after the cron's latest tick, then a sensor tick before
    # the next one: every 2 minutes, a landing run slowed down by a busy machine (the demo
    # beside it) still fits; never later than every minute, as the log API's first window
    # closes 3 minutes after it starts, when an even minute has passed.
    "TAXI_API_LOGS_CRON": "*/2 * * * *",
    "TAXI_AUTOMATION_INTERVAL_SECONDS": "10",
    "TAXI_LIVE_VIEW_EVERY_MINUTES": "60",  # not what this shows: once an hour at most
}
# Seconds from the daemon's start for everything below. The longest path is the daemon's
# start, the log API's first 3-minute window (real time), a landing run, the sensor's next
# tick and an api_logs run, each run a few new processes: 5.5 to 6.5 minutes measured on 2
# cores shared with other test runs (load average 6 to 15); the budget is headroom over that.
BUDGET = 480.0
LANDING_JOB = "api_logs_landing_job"
SNAPSHOT_JOB = "counter_snapshot_job"
LANDING_SCHEDULE = "api_logs_landing_every_3_minutes"
SNAPSHOT_SCHEDULE = "counter_snapshot_every_5_minutes"
LOGS_SENSOR = "logs_automation"
HOUR = timedelta(hours=1)
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
READ = ("daily_stats_db", "lake")  # the resources the tests check the daemon's work with


class Daemon:
    def __init__(
        self, process: subprocess.Popen, log: Path, home: Path, instance, live: dict
    ) -> None:
        self.process, self.log, self.home, self.instance = process, log, home, instance
        self.daily_stats_db, self.lake = (live[key] for key in READ)
        self.started = datetime.now(UTC)
        self.deadline = time.monotonic() + BUDGET

    def wait_for(self, what: str, probe, every: float = 2.0):
        """Poll `probe` until it returns something truthy, within the shared budget."""
        while True:
            found = probe()
            if found:
                return found
            assert self.process.poll() is None, f"the daemon exited:\n{self.tail()}"
            assert time.monotonic() < self.deadline, (
                f"no {what} within {BUDGET:.0f} s\n{self.tail()}"
            )
            time.sleep(every)

    def runs(self, **filters) -> list[dg.DagsterRun]:
        return list(self.instance.get_runs(dg.RunsFilter(created_after=self.started, **filters)))

    def tail(self) -> str:
        """What happened: every run since the start, then the daemon's last lines."""
        runs = [
            f"{r.job_name} {r.status.value} {r.run_id[:8]} "
            f"{ {k: v for k, v in r.tags.items() if k.startswith('dagster/')} }"
            for r in self.runs()
        ]
        return "\n".join([*runs, self.log.read_text(errors="replace")[-3000:]])


def _descendants(pid: int) -> list[int]:
    """Every process under `pid` (Linux /proc), children first seen first."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                queue.append(child)
    return found


def _worker_pid(instance, run_id: str) -> int | None:
    """The run worker's PID, from the engine event its code server writes when it starts it."""
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        metadata = record.dagster_event.engine_event_data.metadata or {}
        if "pid" in metadata and record.message.startswith("Started process for run"):
            return int(metadata["pid"].value)
    return None


def _connect(env: dict[str, str]) -> tuple[dg.DagsterInstance, dict]:
    """The instance and the resources the tests read, resolved against `env` (the variables
    of this module's stack, not this process's, which are the session stack's)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        # From the stack's dagster.yaml; creates the schema before the daemon starts.
        instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
        resources = build_resources("local")
        live = {key: resources[key].process_config_and_initialize() for key in READ}
        live["lake"].get_client()  # boto3 reads the credentials now, from `env`
    return instance, live


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("daemon-stack"), say=lambda _msg: None)
    try:
        stack.up()
        start_companions(stack)
        yield from _daemon(stack, tmp_path_factory)
    finally:
        stack.down()  # the companions too: the stack registered them


def _daemon(stack: Stack, tmp_path_factory):
    env = {**os.environ, **stack.env(), **FAST}
    instance, live = _connect(env)
    log = tmp_path_factory.mktemp("daemon") / "daemon.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dagster-daemon")),
                *("run", "-w", str(REPO_ROOT / "workspace.yaml")),
            ],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_default_signals,  # default SIGTERM, umask 077, as `taxi-platform dev`
            start_new_session=True,  # its code server and run workers: one process group
        )
    try:
        yield Daemon(process, log, Path(env["DAGSTER_HOME"]), instance, live)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
        with contextlib.suppress(ProcessLookupError):  # what outlived its leader (a step)
            os.killpg(process.pid, signal.SIGKILL)


def test_a_run_whose_worker_dies_is_failed_and_retried(daemon):
    # A counter snapshot run: the schedule starts one every minute, so killing one delays
    # nothing the next test waits for (landing → api_logs goes on beside it).
    def snapshot_worker():
        for run in daemon.runs(job_name=SNAPSHOT_JOB, statuses=IN_PROGRESS):
            pid = _worker_pid(daemon.instance, run.run_id)
            if pid and pid_alive(pid):
                return run, pid
        return None

    run, pid = daemon.wait_for("snapshot run with a live worker", snapshot_worker, every=0.5)
    assert run.tags.get("dagster/schedule_name") == SNAPSHOT_SCHEDULE
    for victim in [pid, *_descendants(pid)]:  # the worker and the step processes it started
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()

    def finished():
        current = daemon.instance.get_run_by_id(run.run_id)
        return current if current.is_finished else None

    failed = daemon.wait_for("end of the killed run", finished, every=1.0)
    assert failed.status == dg.DagsterRunStatus.FAILURE
    assert time.monotonic() - killed_at < 120
    retry = daemon.wait_for(
        "retry of the killed run",
        lambda: daemon.runs(tags={"dagster/parent_run_id": run.run_id}),
    )
    assert [r.tags.get("dagster/retry_number") for r in retry] == ["1"]


def test_schedules_and_automation_sensors_run_the_platform_on_their_own(daemon):
    # Each waits for the asset's own step, not for its run's check steps to finish as well.
    def snapshot_rows():
        if not daemon.runs(tags={"dagster/schedule_name": SNAPSHOT_SCHEDULE}):
            return None
        [row] = daemon.daily_stats_db.fetch_all(
            "SELECT count(*) AS rows, count(DISTINCT captured_at) AS snapshots "
            "FROM zone_hourly_activity_log WHERE captured_at >= %s",
            (daemon.started.replace(second=0, microsecond=0),),
        )
        return row if row["rows"] else None

    row = daemon.wait_for("counter snapshot rows", snapshot_rows)
    assert row["snapshots"] >= 1 and row["rows"] >= row["snapshots"]

    def bronze():
        for run in reversed(daemon.runs(tags={"dagster/sensor_name": LOGS_SENSOR})):
            of_type = DagsterEventType.ASSET_MATERIALIZATION
            if daemon.instance.all_logs(run.run_id, of_type=of_type):
                return run
        return None

    run = daemon.wait_for("api_logs materialized by the automation sensor", bronze)
    assert run.asset_selection == {dg.AssetKey("api_logs")}
    assert run.tags.get("dagster/auto_materialize") == "true"
    hour = datetime.strptime(run.tags["dagster/partition"], "%Y-%m-%d-%H:%M").replace(tzinfo=UTC)
    created = daemon.instance.get_run_record_by_id(run.run_id).create_timestamp
    closed = created.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - HOUR
    assert hour in (closed, closed - HOUR)  # the hour just closed (or, at HH:00, the one before)
    assert daemon.lake.list_keys(hour_object_key(hour)) == [hour_object_key(hour)]
    landed = daemon.runs(job_name=LANDING_JOB, statuses=[dg.DagsterRunStatus.SUCCESS])
    assert any(r.tags.get("dagster/schedule_name") == LANDING_SCHEDULE for r in landed), landed

    every_run = daemon.runs()
    manual = [
        r.run_id
        for r in every_run
        if not {"dagster/schedule_name", "dagster/sensor_name", "dagster/parent_run_id"}
        & set(r.tags)
    ]
    assert not manual, f"runs launched by hand: {manual}"

    # Compute logs: under $DAGSTER_HOME/storage, in owner-only folders and files.
    assert (
        daemon.home.stat().st_mode & 0o777,
        (daemon.home / "storage").stat().st_mode & 0o777,
    ) == (
        0o700,
        0o700,
    )
    logs = [p for p in (daemon.home / "storage" / run.run_id).rglob("*") if p.is_file()]
    assert logs, f"no compute log of run {run.run_id}"
    assert all(p.stat().st_mode & 0o077 == 0 for p in logs), {
        str(p): oct(p.stat().st_mode) for p in logs
    }
