"""`taxi-platform demo`: every asset end to end on a fresh embedded stack, with a summary.

What runs comes from the asset graph: every materializable asset, the assets of one op
together. The domains' demo plans (`taxi_platform_dev/domains/<domain>/demo.py`) say only
what the graph cannot: what to simulate before an asset first runs (`prepare`), which
partitions to materialize, and in `order` the assets whose runs must follow one another
though no edge of the graph joins them (the counters' live view before the last day's close).
Runs go through a real Dagster instance (DAGSTER_HOME of the demo stack, run storage on its
PostgreSQL), each as the code location's named job of its assets (the one its schedule or
sensor runs), so `dagster dev` pointed at the same home shows them afterwards under the names
production runs carry. `--days N` simulates N consecutive days of counters and click logs; the
default, `DEMO_DAYS` (8), is the fewest that give every dashboard panel data: the weekly views'
last 7 days and one day of the 7 before, the zone panels' "yesterday vs the day before".

Runs go side by side, as the daemon would launch independent runs: each (its `prepare`
first) in a process of its own forked from this one once the definitions are loaded
(`side_by_side.py`), `SIDE_BY_SIDE` at most at once, as soon as every run it waits for has
finished (`run_dependencies`: the runs of its assets' parents, and the one before it in its
domain's `order`). Numbers are the runs' places in a one-at-a-time order the graph allows;
progress lines carry them. A `prepare` may read only what runs it waits for wrote: the clicks'
reads the bronze days the logs' `api_logs` run put in the lake, and `click_events` is
downstream of `api_logs` in the graph; anything else goes into an `order` (which may name
another domain's assets). A failed run stops the demo: the runs still going are stopped, its
traceback is printed, and the stack is stopped as always.
"""

from __future__ import annotations

import contextlib
import functools
import graphlib
import importlib
import io
import itertools
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

import dagster as dg

from taxi_platform.observations import OBSERVES
from taxi_platform.settings import ConfigError
from taxi_platform_dev.domains import (
    DEMO_DAYS,
    QUIET,
    DemoPlan,
    RunPartition,
    demo_instance,
    tool_modules,
)
from taxi_platform_dev.local.services import start_companions
from taxi_platform_dev.local.stack import Stack, default_home
from taxi_platform_dev.side_by_side import TaskFailed, run_side_by_side

MAX_DAYS = 31
# Runs at once: on 2 cores 2 beat one at a time and 3 was no faster than 2 (README, "Using it").
SIDE_BY_SIDE = 2


@dataclass(frozen=True)
class DemoRun:
    """The assets of one op, materialized for each partition `partitions()` names when the
    run comes (after the preparations before it)."""

    keys: tuple[str, ...]
    partitions: Callable[[], Sequence[RunPartition]]


def merged_plan(plans: Sequence[DemoPlan]) -> DemoPlan:
    """The domains' plans as one; an asset claimed by two domains is a mistake, named."""
    merged = DemoPlan()
    for plan in plans:
        for part in ("partitions", "prepare"):
            clash = set(getattr(merged, part)) & set(getattr(plan, part))
            if clash:
                raise ConfigError(f"demo plans: {sorted(clash)} claimed by two domains' {part}")
        merged = DemoPlan(
            order=[*merged.order, *plan.order],
            partitions={**merged.partitions, **plan.partitions},
            prepare={**merged.prepare, **plan.prepare},
            prepared=merged.prepared | plan.prepared,
        )
    return merged


def demo_runs(graph, plan: DemoPlan) -> list[DemoRun]:
    """Every materializable asset once, upstream first; among the ready ones, plan order."""
    rank = {key: number for number, key in enumerate(plan.order)}
    keys = [k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable]
    pending = sorted(keys, key=lambda k: (rank.get(k.to_user_string(), len(rank)), k))
    # External assets (sources, dashboards) are never run: they count as there already.
    done = set(graph.get_all_asset_keys()) - set(keys)
    done |= {dg.AssetKey.from_user_string(name) for name in plan.prepared}
    runs: list[DemoRun] = []
    while pending:
        key = next(k for k in pending if graph.get(k).parent_keys - {k} <= done | {k})
        together = sorted(graph.get(key).execution_set_asset_keys)
        done.update(together)
        pending = [k for k in pending if k not in together]
        names = tuple(k.to_user_string() for k in together)
        if set(names) <= plan.prepared:
            continue
        runs.append(DemoRun(names, _partitions(graph, plan, together, names)))
    return runs


def _partitions(graph, plan: DemoPlan, keys, names) -> Callable[[], Sequence[RunPartition]]:
    planned = [plan.partitions[name] for name in names if name in plan.partitions]
    if planned:
        return planned[0]
    if any(graph.get(key).is_partitioned for key in keys):
        raise ConfigError(
            f"{', '.join(names)} is partitioned and no demo plan names its partitions: add them "
            "to the `partitions` of its domain's `taxi_platform_dev/domains/<domain>/demo.py`"
        )
    return lambda: [None]


def run_dependencies(graph, runs: Sequence[DemoRun], plans: Sequence[DemoPlan]) -> list[set[int]]:
    """Per run (by its index in `runs`), the runs that must have finished before it starts:
    those holding its assets' parents, and the run before it in its domain's `order`, which
    is what orders the effects the graph cannot see (a `prepare`, or a run changing what
    another reads). An order the graph contradicts is named."""
    run_of = {name: index for index, run in enumerate(runs) for name in run.keys}
    after: list[set[int]] = [set() for _ in runs]
    for index, run in enumerate(runs):
        for name in run.keys:
            parents = graph.get(dg.AssetKey.from_user_string(name)).parent_keys
            after[index].update(
                run_of[p.to_user_string()] for p in parents if p.to_user_string() in run_of
            )
    for plan in plans:
        chain = [name for name in plan.order if name in run_of]
        for before, later in itertools.pairwise(chain):
            after[run_of[later]].add(run_of[before])
    for index, needs in enumerate(after):
        needs.discard(index)
    try:
        graphlib.TopologicalSorter(dict(enumerate(after))).prepare()
    except graphlib.CycleError as cycle:
        names = " -> ".join(", ".join(runs[index].keys) for index in reversed(cycle.args[1]))
        raise ConfigError(
            f"demo plan order against the asset graph: {names}, each run waiting for the "
            "one before it: fix the `order` of its domain's demo.py"
        ) from None
    return after


class _Prefixed(io.TextIOBase):
    """Lines written to `stream` with `prefix` in front: whose run a progress line is from,
    when several runs print at once."""

    def __init__(self, stream: TextIO, prefix: str):
        self._stream, self._prefix, self._pending = stream, prefix, ""

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        self._stream.write("".join(f"{self._prefix}{line}\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()


def _run_in_own_process(
    defs: dg.Definitions, plan: DemoPlan, run: DemoRun, job: str, number: int
) -> list:
    """One demo run as its forked process does it: the preparations of its assets, then the
    run on an instance of its own."""
    with contextlib.redirect_stdout(_Prefixed(sys.stdout, f"[{number}] ")):
        for key in run.keys:
            if key in plan.prepare:
                plan.prepare[key]()
        with demo_instance() as instance:
            rows = execute(defs, instance, run, job)
        sys.stdout.flush()
    return rows


def run_all(
    defs: dg.Definitions,
    plan: DemoPlan,
    runs: Sequence[DemoRun],
    jobs: Sequence[str],
    after: Sequence[set[int]],
) -> list[tuple]:
    """Every run, `SIDE_BY_SIDE` at most at once, each as soon as what it waits for has
    finished; the summary rows in run order."""
    rows: dict[int, list] = {}

    def started(index: int) -> None:
        print(f"[{index + 1}] {', '.join(runs[index].keys)} ({jobs[index]}) …", flush=True)

    def finished(index: int, result: list) -> None:
        rows[index] = result
        for asset, _, count, seconds in result:
            print(f"[{index + 1}]     {asset}: {count} rows in {seconds:.1f}s", flush=True)

    def failed(index: int, trace: str, running: list[int]) -> None:
        print(f"[{index + 1}] {', '.join(runs[index].keys)} failed:\n{trace}", file=sys.stderr)
        if running:
            going = ", ".join(f"[{i + 1}] {', '.join(runs[i].keys)}" for i in running)
            print(f"stopping the runs still going: {going}", file=sys.stderr)
        sys.stderr.flush()

    tasks = [
        functools.partial(_run_in_own_process, defs, plan, run, job, index + 1)
        for index, (run, job) in enumerate(zip(runs, jobs, strict=True))
    ]
    run_side_by_side(tasks, after, SIDE_BY_SIDE, started, finished, failed)
    return [row for index in sorted(rows) for row in rows[index]]


def _row_count(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    rows: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        value = materialization.metadata.get("dagster/row_count")
        key = materialization.asset_key.to_user_string()
        rows[key] = rows.get(key, 0) + (int(value.value) if value is not None else 0)
    return rows


def _run_kwargs(partition: RunPartition) -> dict:
    if isinstance(partition, tuple):
        start, end = partition
        return {
            "tags": {
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            }
        }
    return {"partition_key": partition}


def _label(partition: RunPartition) -> str:
    return f"{partition[0]}…{partition[1]}" if isinstance(partition, tuple) else partition or "-"


def named_jobs(defs: dg.Definitions) -> dict[frozenset[str], str]:
    """The code location's named jobs by the assets each builds (Dagster's own `__` jobs
    left out); two jobs of the same assets would leave the demo no choice, so they are named."""
    jobs: dict[frozenset[str], str] = {}
    for job in defs.get_repository_def().get_all_jobs():
        if job.name.startswith("__"):
            continue
        keys = frozenset(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
        if keys in jobs:
            raise ConfigError(
                f"jobs {jobs[keys]} and {job.name} both build {', '.join(sorted(keys))}: "
                "keep one job per set of assets"
            )
        jobs[keys] = job.name
    return jobs


def job_for(jobs: dict[frozenset[str], str], run: DemoRun) -> str:
    """The named job that builds exactly the run's assets: the demo's runs carry the names
    the schedules' and sensors' runs carry."""
    name = jobs.get(frozenset(run.keys))
    if name is None:
        raise ConfigError(
            f"no named job builds exactly {', '.join(run.keys)}: add a `dg.define_asset_job` "
            "of them to its domain's folder (`taxi_platform/defs/<domain>/`)"
        )
    return name


def execute(defs: dg.Definitions, instance: dg.DagsterInstance, run: DemoRun, job: str) -> list:
    totals: dict[str, int] = {}
    started = time.monotonic()
    partitions = run.partitions()
    for partition in partitions:
        result = defs.resolve_job_def(job).execute_in_process(
            run_config=QUIET, instance=instance, **_run_kwargs(partition)
        )
        for key, rows in _row_count(result).items():
            totals[key] = totals.get(key, 0) + rows
    seconds = time.monotonic() - started
    labels = [_label(p) for p in partitions]
    label = labels[0] if len(labels) == 1 else f"{labels[0]} … {labels[-1]} ({len(labels)})"
    return [(key, label, rows, seconds) for key, rows in totals.items()]


def _print_table(rows: list[tuple]) -> None:
    cells = [("asset", "partitions", "rows", "seconds")]
    cells += [(a, p, str(n), f"{s:.1f}") for a, p, n, s in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*cells[0]))
    print(line.format(*("-" * w for w in widths)))
    for row in cells[1:]:
        print(line.format(*row))


# How far back "recent" reaches when the demo reports partitions filled: a week of hours or
# days, or the last two partitions when one partition is longer than that (months).
RECENT = timedelta(days=7)


def recent_fill(graph, instance: dg.DagsterInstance) -> list[tuple[str, int, int]]:
    """Per partitioned asset: of its most recent partitions (7 days, or 2 months), how many
    this instance has materialized; what the UI's partition bars show after the demo."""
    rows = []
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        if not (node.is_materializable and node.is_partitioned):
            continue
        keys = node.partitions_def.get_partition_keys()
        window = node.partitions_def.time_window_for_partition_key(keys[-1])
        recent = keys[-max(2, RECENT // (window.end - window.start)) :]
        done = instance.get_materialized_partitions(key) & set(recent)
        rows.append((key.to_user_string(), len(done), len(recent)))
    return rows


def observe_sources(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[str]:
    """Each source-observing sensor evaluated once, its observations recorded as the daemon's
    tick would record them: the external assets' pages show what the demo left in them."""
    seen = []
    for sensor in defs.get_repository_def().sensor_defs:
        if not OBSERVES.items() <= sensor.tags.items():
            continue
        context = dg.build_sensor_context(instance=instance, resources=defs.resources)
        for event in sensor(context).asset_events:
            instance.report_runless_asset_event(event)
            figures = ", ".join(
                f"{k.removeprefix('dagster/')} {v.value}" for k, v in event.metadata.items()
            )
            seen.append(f"{event.asset_key.to_user_string()}: {figures}")
    return seen


def load_definitions() -> dg.Definitions:
    with warnings.catch_warnings():
        # Beta/preview notes about the Dagster APIs the code location chose (backfill
        # policies, partitioned checks): for its developers, not for a demo's reader.
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        from taxi_platform.definitions import defs
    return defs


def _create_instance_tables() -> None:
    with dg.DagsterInstance.get():
        pass


def run_demo(keep: bool = False, days: int = DEMO_DAYS) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days {days}: simulate between 1 and {MAX_DAYS} days")
    stack = Stack(default_home() / "demo")
    # The code location's resources import pandas, pyarrow, boto3… whatever the variables
    # say: imported meanwhile, while the stack's processes start (they wait on disk and ports).
    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(importlib.import_module, "taxi_platform.resources.wiring")
        stack.reset()  # fresh: the last demo's saved lake, databases and runs are forgotten
        stack.up()
    try:
        importing.result()
        os.environ.update(stack.env())
        # The instance's tables are created here, once, not by two runs at once, while the
        # companions start (seconds of waiting for their answer); the instance is closed (no
        # connection left) before the runs' processes fork.
        with ThreadPoolExecutor(max_workers=1) as pool:
            tables = pool.submit(_create_instance_tables)
            start_companions(stack)
            tables.result()
        os.environ.update(stack.env())
        defs = load_definitions()
        plans = [module.plan(days) for module in tool_modules("demo")]
        plan = merged_plan(plans)
        graph = defs.resolve_asset_graph()
        runs = demo_runs(graph, plan)
        named = named_jobs(defs)
        jobs = [job_for(named, run) for run in runs]
        try:
            summary = run_all(defs, plan, runs, jobs, run_dependencies(graph, runs, plans))
        except TaskFailed as failed:
            print(
                f"demo stopped: run [{failed.index + 1}] failed (its error above)", file=sys.stderr
            )
            return 1
        with demo_instance() as instance:
            observed = observe_sources(defs, instance)
            filled = recent_fill(graph, instance)
            by_job = Counter(run.job_name for run in instance.get_runs())
        print()
        _print_table(summary)
        print("\nrecent partitions filled: " + ", ".join(f"{a} {n}/{m}" for a, n, m in filled))
        print("observed: " + "; ".join(observed))
        print("runs by job: " + ", ".join(f"{job} {n}" for job, n in sorted(by_job.items())))
    finally:
        if not keep:
            stopped = stack.down()
            print("demo stack stopped: " + ", ".join(stopped))
    return 0
