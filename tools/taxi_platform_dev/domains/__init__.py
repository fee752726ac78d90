"""Each domain's tooling, one subpackage per domain, found by looking, never listed.

A domain package may hold any of:
- `simulator.py` with `add_cli(subparsers)`: mounted under `taxi-platform simulate`;
- `companion.py` with `start(stack)`: a background process `dev` and `demo` start beside the
  stack (idempotent, registered with the stack so `stack down` stops it);
- `demo.py` with `plan(days) -> DemoPlan`: what the demo simulates before the domain's assets
  run and which partitions it materializes.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `taxi-platform simulate` needs no Dagster
    import dagster as dg

# Progress is printed by the tooling itself; Dagster's console log stays at warnings.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

# Days the demo simulates by default: the weekly panels' last 7 business days and one of the
# 7 before (their week-over-week change), hence also "yesterday vs the day before".
DEMO_DAYS = 8

# One demo run: a partition key, a (first, last) range run as one backfill-style run, or None
# for an unpartitioned asset.
RunPartition = str | tuple[str, str] | None


@contextmanager
def demo_instance() -> Iterator[dg.DagsterInstance]:
    """The stack's Dagster instance, for the runs one demo process makes, its storage
    connections pooled.

    Why: dagster-postgres opens a new PostgreSQL connection for every storage query (a
    `NullPool`, so that processes that live long hold none), and a demo run makes 50 to 250
    of them, each a TCP connect and a password exchange. The webserver's own setting
    (`optimize_for_webserver`: one kept connection per storage, more while busy) suits a
    process that makes run after run; the instance closes them when it is closed.
    """
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
        yield instance


@dataclass(frozen=True)
class DemoPlan:
    """One domain's part of the demo; the demo walks the asset graph and consults it.

    `order`: assets whose runs must follow one another though the graph does not join them,
    each run starting after the one before it has finished (runs otherwise go side by side);
    it may name another domain's asset; `partitions`: per asset key, the runs to make
    (absent: one unpartitioned run); `prepare`: per asset key, called once before that
    asset's first run, in the run's own process (simulating its sources: what it leaves must
    be in the stack, not in memory, and it may read only what the runs before it wrote);
    `prepared`: assets that a `prepare` materializes itself, skipped by the walk.
    """

    order: Sequence[str] = ()
    partitions: Mapping[str, Callable[[], Sequence[RunPartition]]] = field(default_factory=dict)
    prepare: Mapping[str, Callable[[], None]] = field(default_factory=dict)
    prepared: frozenset[str] = frozenset()


def run_job(
    job: dg.UnresolvedAssetJobDefinition,
    assets: Sequence[dg.AssetsDefinition],
    resources: Mapping[str, object],
    instance: dg.DagsterInstance,
    ops: Mapping[str, object] | None = None,
    **kwargs,
) -> dg.ExecuteInProcessResult:
    """One run of the code location's named `job` over `assets` (and `resources`, e.g. a
    replayed source), quiet: in the instance's run list it carries the job's name, as a
    scheduled run would, not `__ephemeral_asset_job__`."""
    import dagster as dg

    definitions = dg.Definitions(assets=assets, jobs=[job], resources=resources)
    return definitions.resolve_job_def(job.name).execute_in_process(
        run_config={**QUIET, **({"ops": ops} if ops else {})}, instance=instance, **kwargs
    )


def simulator_main(add_cli: Callable[[argparse._SubParsersAction], object]) -> int:
    """A domain's simulator run as `python -m taxi_platform_dev.domains.<domain>.simulator …`:
    the same command `taxi-platform simulate …` mounts, without the CLI's imports of every
    other tool (Dagster, pandas: seconds under load). The companions start it this way."""
    from taxi_platform.settings import ConfigError

    parser = argparse.ArgumentParser(prog="taxi-platform simulate")
    add_cli(parser.add_subparsers(required=True))
    args = parser.parse_args()
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"taxi-platform: error: {exc}", file=sys.stderr)
        return 2


def domain_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if info.ispkg)


def tool_modules(kind: str) -> list[ModuleType]:
    """The `kind` module (`simulator`, `companion`, `demo`) of every domain that has one."""
    names = [f"{__name__}.{domain}.{kind}" for domain in domain_names()]
    return [importlib.import_module(name) for name in names if importlib.util.find_spec(name)]
