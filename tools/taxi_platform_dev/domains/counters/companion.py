"""The `taxi-platform dev` companion of the counters: the traffic simulator in the background.

Why: the snapshot and live-view schedules read live counters; on a fresh local stack there
are none until something plays the dispatch API server. The simulator runs at real speed
(`taxi-platform simulate counters`), writes to the stack's moto DynamoDB, logs to
`<stack>/counters_simulator.log`, and is registered with the stack so `stack down` stops it.
"""

from __future__ import annotations

import os
import sys

from taxi_platform_dev.local.processes import pid_alive, spawn
from taxi_platform_dev.local.stack import Stack

PROCESS_NAME = "counters_simulator"


def start(stack: Stack) -> None:
    """Start the simulator unless this stack's one is already running (idempotent)."""
    running = stack.load().get("extra_processes", {}).get(PROCESS_NAME, {})
    if pid_alive(running.get("pid")):
        return
    process = spawn(
        [sys.executable, "-m", "taxi_platform_dev.domains.counters.simulator", "counters"],
        stack.home / f"{PROCESS_NAME}.log",
        {**os.environ, **stack.env()},
    )
    stack.register_process(PROCESS_NAME, process.pid)
