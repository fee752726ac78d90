"""Tasks with prerequisites run side by side: each in a process of its own, forked when the
tasks it waits for have finished, at most `limit` at once, the way the daemon launches
independent runs next to each other.

Why processes and not threads: a run is mostly Python (simulators, Dagster's own event
writing) between waits on PostgreSQL and moto, so threads would share one core under the
GIL; and Dagster's in-process execution installs signal handlers, which only a main thread
may. Why forked: the parent has imported the code location once (seconds), a fork starts in
milliseconds with it loaded. The parent must hold no open connection, client or thread when
it forks (each task opens its own), and tasks return only plain, picklable values.
"""

from __future__ import annotations

import graphlib
import multiprocessing
import traceback
from collections.abc import Callable, Collection, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

# How long a task still running when another failed gets to end after SIGTERM.
STOP_GRACE_SECONDS = 10


class TaskFailed(Exception):
    """A task raised (its traceback, as text, is `trace`) or its process died."""

    def __init__(self, index: int, trace: str):
        super().__init__(f"task {index} failed:\n{trace}")
        self.index = index
        self.trace = trace


def ready(
    after: Sequence[Collection[int]], finished: Collection[int], started: Collection[int]
) -> list[int]:
    """The tasks not yet started whose prerequisites have all finished, first task first."""
    return [
        index
        for index, needs in enumerate(after)
        if index not in started and all(need in finished for need in needs)
    ]


def run_side_by_side(
    tasks: Sequence[Callable[[], Any]],
    after: Sequence[Collection[int]],
    limit: int,
    on_start: Callable[[int], None],
    on_finish: Callable[[int, Any], None],
    on_fail: Callable[[int, str, list[int]], None],
) -> None:
    """Every task once, each after the tasks `after[i]` names have finished, at most `limit`
    at a time, earlier tasks first among those ready; the callbacks are called in this
    process. The first failure is told to `on_fail` (with the tasks still running), which
    are then stopped (SIGTERM: a Dagster run records itself as failed), and raises
    `TaskFailed`. Prerequisites in a cycle raise `graphlib.CycleError` before anything runs."""
    graphlib.TopologicalSorter(dict(enumerate(after))).prepare()
    fork = multiprocessing.get_context("fork")
    running: dict[int, tuple[multiprocessing.process.BaseProcess, Connection]] = {}
    finished: set[int] = set()
    try:
        while len(finished) < len(tasks):
            for index in ready(after, finished, finished | set(running))[: limit - len(running)]:
                receiver, sender = fork.Pipe(duplex=False)
                process = fork.Process(target=_child, args=(tasks[index], sender))
                process.start()
                sender.close()  # the child holds the only writer: its death reads as EOF
                running[index] = (process, receiver)
                on_start(index)
            wait([receiver for _, receiver in running.values()])
            for index, (process, receiver) in list(running.items()):
                if not receiver.poll():
                    continue
                del running[index]
                succeeded, outcome = _receive(process, receiver)
                if not succeeded:
                    on_fail(index, outcome, sorted(running))
                    raise TaskFailed(index, outcome)
                finished.add(index)
                on_finish(index, outcome)
    finally:
        _stop([process for process, _ in running.values()])


def _child(task: Callable[[], Any], sender: Connection) -> None:
    """(True, what the task returned) or (False, its traceback as text: any exception
    pickles that way, and the parent shows what the task's process saw)."""
    try:
        outcome: tuple[bool, Any] = (True, task())
    except BaseException:
        outcome = (False, traceback.format_exc())
    sender.send(outcome)
    sender.close()


def _receive(
    process: multiprocessing.process.BaseProcess, receiver: Connection
) -> tuple[bool, Any]:
    try:
        outcome = receiver.recv()
    except EOFError:  # died before it could answer (killed, or a crash in native code)
        process.join()
        outcome = (False, f"its process ended with exit code {process.exitcode}\n")
    process.join()
    receiver.close()
    return outcome


def _stop(processes: list[multiprocessing.process.BaseProcess]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
