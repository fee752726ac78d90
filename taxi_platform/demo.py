"""`taxi-platform demo`: every asset end to end on a fresh embedded stack, with a summary.

Runs go through a real Dagster instance (DAGSTER_HOME of the demo stack, run storage on
its PostgreSQL), so `dagster dev` pointed at the same home shows them afterwards. Each
domain contributes `DemoStep`s (its `steps(days)`) in the order data flows. `--days N`
simulates N consecutive days of counters and click logs, enough for the weekly dashboards
(14 gives a week-over-week change); the default, one day, keeps the README's first command
short.
"""

from __future__ import annotations

import importlib
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from taxi_platform.local.services import start_companions
from taxi_platform.local.stack import Stack, default_home
from taxi_platform.settings import ConfigError

STEP_MODULES = [
    "taxi_platform.zones.demo",
    "taxi_platform.counters.demo",
    "taxi_platform.logs.demo",
    "taxi_platform.gold.demo",
]
# Progress is printed by the demo itself; Dagster's own console log stays at warnings.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class DemoStep:
    """Materialize `selection` for each of `partitions` (None = unpartitioned), after `prepare`.

    Each of `partition_ranges` is run as one backfill-style run (single-run backfill policy).
    """

    title: str
    selection: Sequence[str]
    partitions: Callable[[], Sequence[str | None]] = lambda: [None]
    partition_ranges: Callable[[], Sequence[tuple[str, str]]] | None = None
    prepare: Callable[[], None] | None = None
    tags: dict[str, str] = field(default_factory=dict)


MAX_DAYS = 31


def demo_steps(days: int = 1) -> list[DemoStep]:
    return [step for name in STEP_MODULES for step in importlib.import_module(name).steps(days)]


def _row_count(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    rows: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        value = materialization.metadata.get("dagster/row_count")
        key = materialization.asset_key.to_user_string()
        rows[key] = rows.get(key, 0) + (int(value.value) if value is not None else 0)
    return rows


def _run_step(defs: dg.Definitions, instance: dg.DagsterInstance, step: DemoStep) -> list[tuple]:
    assets = [*defs.assets, *(defs.asset_checks or [])]
    runs: list[dict] = []
    if step.partition_ranges:
        runs += [
            {
                "tags": {
                    "dagster/asset_partition_range_start": start,
                    "dagster/asset_partition_range_end": end,
                    **step.tags,
                },
                "label": f"{start}…{end}",
            }
            for start, end in step.partition_ranges()
        ]
    else:
        for partition in step.partitions():
            runs.append({"partition_key": partition, "tags": step.tags, "label": partition or "-"})
    totals: dict[str, int] = {}
    labels: list[str] = []
    started = time.monotonic()
    for run in runs:
        label = run.pop("label")
        result = dg.materialize(
            assets,
            selection=list(step.selection),
            instance=instance,
            resources=defs.resources,
            run_config=QUIET,
            **run,
        )
        for key, rows in _row_count(result).items():
            totals[key] = totals.get(key, 0) + rows
        labels.append(label)
    seconds = time.monotonic() - started
    partitions = labels[0] if len(labels) == 1 else f"{labels[0]} … {labels[-1]} ({len(labels)})"
    return [(key, partitions, rows, seconds) for key, rows in totals.items()]


def _print_table(rows: list[tuple]) -> None:
    cells = [("asset", "partitions", "rows", "seconds")]
    cells += [(a, p, str(n), f"{s:.1f}") for a, p, n, s in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*cells[0]))
    print(line.format(*("-" * w for w in widths)))
    for row in cells[1:]:
        print(line.format(*row))


def run_demo(keep: bool = False, days: int = 1) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days {days}: simulate between 1 and {MAX_DAYS} days")
    stack = Stack(default_home() / "demo")
    stack.up()
    try:
        os.environ.update(stack.env())
        start_companions(stack)
        os.environ.update(stack.env())
        with warnings.catch_warnings():
            # Beta/preview notes about the Dagster APIs the code location chose (backfill
            # policies, partitioned checks): for its developers, not for a demo's reader.
            warnings.simplefilter("ignore", dg.BetaWarning)
            warnings.simplefilter("ignore", dg.PreviewWarning)
            defs = importlib.import_module("taxi_platform.definitions").defs
        summary: list[tuple] = []
        with dg.DagsterInstance.get() as instance:
            for number, step in enumerate(demo_steps(days), start=1):
                print(f"[{number}] {step.title} …", flush=True)
                if step.prepare:
                    step.prepare()
                rows = _run_step(defs, instance, step)
                for asset, _, count, seconds in rows:
                    print(f"    {asset}: {count} rows in {seconds:.1f}s", flush=True)
                summary.extend(rows)
        print()
        _print_table(summary)
    finally:
        if not keep:
            stopped = stack.down()
            print("demo stack stopped: " + ", ".join(stopped))
    return 0
