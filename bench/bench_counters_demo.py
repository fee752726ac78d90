"""Benchmark: the counters' lane of `taxi-platform demo`, phase by phase, with the DynamoDB
writes concurrent (as shipped) against the same lane one write at a time (the baseline).

Run by hand (not a test): `uv run python bench/bench_counters_demo.py [--days 8]`.
Each variant starts its own embedded stack (no background simulator: nothing else writes),
then runs the demo's `simulate_days` (each day's traffic written by the simulator, the 03:00
`daily_zone_stats` runs with their lossless resets, the hourly snapshots) and the four
counters runs the demo makes after it, with their Dagster jobs. Prints a Markdown table:
wall seconds per phase, this process's and the DynamoDB moto's CPU seconds (one process
serving one request at a time: its CPU is the lane's floor), the time inside the helpers that
talk to DynamoDB, and the ratio baseline / concurrent. The baseline sets the simulator's
`WRITERS` and the reset's `RESET_WORKERS` to 1; everything else (the single scan of each
table per close) is shared.
"""

import argparse
import collections
import functools
import importlib
import os
import tempfile
import time
from pathlib import Path

import dagster as dg
from bench_common import load_average, machine

from taxi_platform_dev.local.stack import Stack

COUNTER_ASSETS = {"zone_hourly_activity_log", "zone_diff_stats", "live_zone_counters"}
COUNTER_ASSETS |= {"daily_zone_stats"}
TIMED = {  # module: helpers whose time inside is reported
    "taxi_platform_dev.domains.counters.demo": (
        "apply_increments",
        "_counters_after_a_reset",
        "run_job",
    ),
    "taxi_platform.defs.counters.snapshots": ("write_snapshots",),
    "taxi_platform.defs.counters.reset": ("_subtract", "scan_counters"),
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(spent: dict[str, float]) -> None:
    """Wrap the `TIMED` helpers so that the seconds spent inside add up in `spent`."""
    for module_name, names in TIMED.items():
        module = importlib.import_module(module_name)
        for name in names:
            original = getattr(module, name)

            @functools.wraps(original)
            def wrapper(*args, _original=original, _name=name, **kwargs):
                started = time.monotonic()
                try:
                    return _original(*args, **kwargs)
                finally:
                    spent[_name] += time.monotonic() - started

            setattr(module, name, wrapper)


def lane(days: int, writers: int) -> list[tuple[str, float, float, float]]:
    """(phase, wall, our CPU, moto CPU) of the lane on a fresh stack, `writers` at a time."""
    from taxi_platform.defs.counters import reset
    from taxi_platform_dev.demo import (
        demo_runs,
        execute,
        job_for,
        load_definitions,
        merged_plan,
        named_jobs,
    )
    from taxi_platform_dev.domains import tool_modules
    from taxi_platform_dev.domains.counters import demo, simulator

    simulator.WRITERS = reset.RESET_WORKERS = writers
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "stack", say=lambda _m: None)
        stack.up()
        try:
            os.environ.update(stack.env())
            moto = stack.load()["moto_dynamodb"]["pid"]
            defs = load_definitions()
            plan = merged_plan([module.plan(days) for module in tool_modules("demo")])
            runs = [
                run
                for run in demo_runs(defs.resolve_asset_graph(), plan)
                if set(run.keys) & COUNTER_ASSETS
            ]
            jobs = named_jobs(defs)
            phases = []

            def phase(name, work) -> None:
                wall, ours, theirs = time.monotonic(), time.process_time(), cpu_seconds(moto)
                work()
                phases.append(
                    (
                        name,
                        time.monotonic() - wall,
                        time.process_time() - ours,
                        cpu_seconds(moto) - theirs,
                    )
                )

            phase("simulate_days", lambda: demo.simulate_days(days))
            with dg.DagsterInstance.get() as instance:
                for run in runs:
                    phase(
                        run.keys[-1],
                        lambda run=run: execute(defs, instance, run, job_for(jobs, run)),
                    )
        finally:
            stack.down(save=False)
    return phases


def markdown_row(cells) -> str:
    return "| " + " | ".join(map(str, cells)) + " |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=8)
    args = parser.parse_args()
    from taxi_platform.defs.counters.reset import RESET_WORKERS

    spent = {}
    timed_spent = collections.defaultdict(float)
    timed(timed_spent)
    results = {}
    print(f"machine: {machine()}; load average before: {load_average()}")
    for label, writers in (("one at a time", 1), ("concurrent", RESET_WORKERS)):
        timed_spent.clear()
        results[label] = lane(args.days, writers)
        spent[label] = dict(timed_spent)
    print(f"load average after: {load_average()}\n")
    base, ours = results["one at a time"], results["concurrent"]
    header = ["phase", "one at a time: wall (s)", "concurrent: wall (s)", "our CPU (s)"]
    print(markdown_row([*header, "moto CPU (s)", "one at a time / concurrent"]))
    print(markdown_row(["---"] * 6))
    totals = [("total", *(sum(p[i] for p in runs) for i in (1, 2, 3))) for runs in (base, ours)]
    for b, o in [*zip(base, ours, strict=True), tuple(totals)]:
        cells = [f"{x:.1f}" for x in (b[1], o[1], o[2], o[3])]
        print(markdown_row([o[0], *cells, f"{b[1] / o[1]:.2f}×"]))
    print(
        "\ninside the helpers (s): "
        + "; ".join(
            f"{name} {spent['one at a time'].get(name, 0):.1f} → {seconds:.1f}"
            for name, seconds in spent["concurrent"].items()
        )
    )


if __name__ == "__main__":
    main()
