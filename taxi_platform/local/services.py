"""Companions started beside the stack for `dev` and `demo` (simulators), by domain.

Each entry starts a process and registers its PID with the stack so `stack down` stops it.
"""

from __future__ import annotations

from collections.abc import Callable

from taxi_platform.counters.companion import start_counters_simulator
from taxi_platform.local.stack import Stack
from taxi_platform.logs.companion import start_log_api

COMPANIONS: list[Callable[[Stack], None]] = [start_counters_simulator, start_log_api]


def start_companions(stack: Stack) -> None:
    for start in COMPANIONS:
        start(stack)
