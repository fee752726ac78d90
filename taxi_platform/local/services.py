"""Companions started beside the stack for `dev` and `demo` (simulators), by domain.

Each entry starts a process and registers its PID with the stack so `stack down` stops it.
"""

from __future__ import annotations

from collections.abc import Callable

from taxi_platform.local.stack import Stack

COMPANIONS: list[Callable[[Stack], None]] = []


def start_companions(stack: Stack) -> None:
    for start in COMPANIONS:
        start(stack)
