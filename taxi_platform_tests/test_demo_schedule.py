"""How the demo orders its runs side by side, without a stack: which runs wait for which
(the asset graph plus each domain's `order`), and the forked runner that honours it.

The runner's tasks are real forked processes; what they record (files under tmp_path, their
own PIDs) is compared with what the parent saw, so the checks are the processes' own word."""

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from taxi_platform.settings import ConfigError
from taxi_platform_dev.demo import demo_runs, run_dependencies
from taxi_platform_dev.domains import DemoPlan
from taxi_platform_dev.side_by_side import TaskFailed, ready, run_side_by_side


@dg.asset
def reference() -> None: ...


@dg.asset(deps=[reference])
def snapshot() -> None: ...


@dg.asset
def live_view() -> None: ...


@dg.asset
def close_day() -> None: ...


@dg.asset
def trips() -> None: ...


GRAPH = dg.Definitions(
    assets=[reference, snapshot, live_view, close_day, trips]
).resolve_asset_graph()


def test_a_run_waits_for_its_parents_and_for_the_run_before_it_in_its_domains_order():
    counters = DemoPlan(order=["snapshot", "live_view", "close_day"])
    zones = DemoPlan(order=["reference"])
    plan = DemoPlan(order=[*counters.order, *zones.order])
    runs = demo_runs(GRAPH, plan)
    names = [run.keys[0] for run in runs]
    after = run_dependencies(GRAPH, runs, [counters, zones])
    waits = {names[i]: sorted(names[j] for j in needs) for i, needs in enumerate(after)}
    assert waits == {
        "reference": [],
        "snapshot": ["reference"],  # the graph
        "live_view": ["snapshot"],  # counters' order: nothing in the graph joins them
        "close_day": ["live_view"],
        "trips": [],  # another domain's order does not chain to it
    }


def test_an_order_against_the_graph_is_named():
    plan = DemoPlan(order=["snapshot", "reference"])
    runs = demo_runs(GRAPH, plan)
    with pytest.raises(ConfigError, match="order against the asset graph") as error:
        run_dependencies(GRAPH, runs, [plan])
    assert {"reference", "snapshot"} <= set(str(error.value).replace(" -> ", " ").split())


def test_ready_is_every_unstarted_task_whose_prerequisites_finished_in_task_order():
    after = [set(), set(), {0}, {0, 1}, {2}]
    assert ready(after, finished=set(), started=set()) == [0, 1]
    assert ready(after, finished=set(), started={0}) == [1]
    assert ready(after, finished={0}, started={0, 1}) == [2]
    assert ready(after, finished={0, 1}, started={0, 1, 2}) == [3]
    assert ready(after, finished={0, 1, 2, 3}, started={0, 1, 2, 3}) == [4]


def _unexpected(index: int, trace: str, running: list[int]) -> None:
    raise AssertionError(f"task {index} failed:\n{trace}")


def _record(folder: Path, name: str, seconds: float):
    def task() -> int:
        (folder / f"{name}.start").write_text(str(time.monotonic()))
        time.sleep(seconds)
        (folder / f"{name}.end").write_text(str(time.monotonic()))
        return os.getpid()

    return task


def test_tasks_run_in_processes_of_their_own_after_their_prerequisites_at_most_limit_at_once(
    tmp_path: Path,
):
    names = ["a", "b", "c", "d"]
    after = [set(), set(), {0}, {1, 2}]
    tasks = [_record(tmp_path, name, 0.3) for name in names]
    events: list[tuple[str, str]] = []
    pids: dict[str, int] = {}

    def finished(index: int, pid: int) -> None:
        events.append(("end", names[index]))
        pids[names[index]] = pid

    run_side_by_side(
        tasks, after, 2, lambda i: events.append(("start", names[i])), finished, _unexpected
    )

    started = {n: float((tmp_path / f"{n}.start").read_text()) for n in names}
    ended = {n: float((tmp_path / f"{n}.end").read_text()) for n in names}
    for index, needs in enumerate(after):
        for need in needs:
            assert ended[names[need]] <= started[names[index]], (names[need], names[index])
    assert started["b"] < ended["a"]  # a and b side by side
    assert len(set(pids.values())) == 4 and os.getpid() not in pids.values()
    running = peak = 0
    for kind, _ in events:
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert peak == 2


def test_a_failing_task_stops_the_others_and_names_its_error(tmp_path: Path):
    pid_file = tmp_path / "sleeper.pid"

    def sleeper() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)

    def failing() -> None:
        while not pid_file.exists():
            time.sleep(0.01)
        raise ValueError("bronze day 2026-11-30 missing")

    told = []
    with pytest.raises(TaskFailed) as failure:
        run_side_by_side(
            [sleeper, failing], [set(), set()], 2, print, print, lambda *a: told.append(a)
        )
    assert failure.value.index == 1
    assert [(index, running) for index, _, running in told] == [(1, [0])]
    assert "ValueError: bronze day 2026-11-30 missing" in failure.value.trace
    with pytest.raises(ProcessLookupError):  # stopped and reaped, not left sleeping
        os.kill(int(pid_file.read_text()), 0)


def test_a_task_whose_process_dies_fails_with_its_exit_code():
    with pytest.raises(TaskFailed, match="exit code 3"):
        run_side_by_side([lambda: os._exit(3)], [set()], 2, print, print, print)
