"""The `taxi-platform dev`/`demo` companion of the logs: the log API simulator as a process.

Why: the landing schedule polls `TAXI_LOG_API_URL`; on the local stack nothing serves it
until this starts `taxi-platform simulate log-api` with the stack's Fernet key, waits for
`/health`, and registers it as `log_api` with its port, so that `stack env` exports the URL
and `stack down` stops it. Idempotent: a running one is kept.

Speed: `TAXI_LOG_API_SPEED` (default 1, real time). At 1 the simulated clock is the wall
clock, so each 3-minute landing run gets the window that just closed and every hour's
records land within that hour, as in production. Faster speeds stamp records ahead of the
wall clock; bronze then quarantines them as `FromTheFuture` (`layout`), so they suit a
look at the API, not the pipeline (the demo and tests replay windows instead).
"""

from __future__ import annotations

import os
import sys
import urllib.request

from taxi_platform.settings import ConfigError
from taxi_platform_dev.local.processes import await_ready, free_port, pid_alive, spawn
from taxi_platform_dev.local.stack import Stack

PROCESS_NAME = "log_api"
SPEED_VARIABLE = "TAXI_LOG_API_SPEED"
HEALTH_TIMEOUT = 60.0  # generous: under heavy load (CI, two test workers) it took over 30 s


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _positive_number(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


def start(stack: Stack) -> None:
    """Start the simulator unless this stack's one is already running."""
    running = stack.load().get("extra_processes", {}).get(PROCESS_NAME, {})
    if pid_alive(running.get("pid")):
        return
    speed = os.environ.get(SPEED_VARIABLE) or "1"
    if not _positive_number(speed):
        raise ConfigError(f"{SPEED_VARIABLE}={speed!r}: set a positive number (1 = real time)")
    port = free_port()
    log_path = stack.home / f"{PROCESS_NAME}.log"
    command = [
        *(sys.executable, "-m", "taxi_platform_dev.domains.logs.simulator", "log-api"),
        *("--port", str(port), "--speed", speed),
    ]
    process = spawn(command, log_path, {**os.environ, **stack.env()})
    await_ready(
        process,
        lambda: _healthy(port),
        HEALTH_TIMEOUT,
        f"the log API simulator did not answer on 127.0.0.1:{port}/health within "
        f"{HEALTH_TIMEOUT:.0f}s ({SPEED_VARIABLE}={speed}); see {log_path}",
    )
    stack.register_process(PROCESS_NAME, process.pid, port)
