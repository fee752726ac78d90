"""`taxi-platform dev`: the UI comes up against its own stack and SIGTERM stops everything."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from taxi_platform_dev.local.processes import free_port, pid_alive
from taxi_platform_dev.local.stack import Stack


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_dev_serves_the_ui_and_stops_cleanly_on_sigterm(tmp_path):
    home = tmp_path / "stack"
    port = free_port()
    env = {**os.environ, "TAXI_STACK_HOME": str(home)}
    dev = subprocess.Popen(
        [sys.executable, "-m", "taxi_platform_dev.cli", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not _answers(f"http://127.0.0.1:{port}/server_info"):
            assert dev.poll() is None, dev.stdout.read()
            assert time.monotonic() < deadline, "the Dagster UI did not come up in 180 s"
            time.sleep(1)
        state = Stack(home).load()
        pids = [state[name]["pid"] for name in ("postgres", "moto", "moto_dynamodb")]
        assert all(pid_alive(pid) for pid in pids)
    finally:
        dev.send_signal(signal.SIGTERM)
        output, _ = dev.communicate(timeout=120)
    assert dev.returncode == 0, output[-3000:]
    assert "stopped: dagster dev, postgres" in output
    assert not any(pid_alive(pid) for pid in pids)
    assert not _answers(f"http://127.0.0.1:{port}/server_info")
    leftovers = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(home) not in leftovers and f"-p {port}" not in leftovers


def test_dev_stops_the_stack_when_a_companion_cannot_start(tmp_path):
    """A companion that fails (here the log API's speed is not a number) stops `dev` with a
    message naming the variable, and the PostgreSQL, moto and companions already started
    are stopped too, not left running."""
    home = tmp_path / "stack"
    env = {**os.environ, "TAXI_STACK_HOME": str(home), "TAXI_LOG_API_SPEED": "fast"}
    dev = subprocess.run(
        [sys.executable, "-m", "taxi_platform_dev.cli", "dev", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = dev.stdout + dev.stderr
    assert dev.returncode != 0, output[-3000:]
    assert "TAXI_LOG_API_SPEED='fast': set a positive number" in output
    assert "stopped: postgres" in output and "counters_simulator" in output
    leftovers = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(home) not in leftovers
