"""The code location's `io_manager`: Dagster's filesystem one, built on the first value.

Why: every asset here publishes its results itself (PostgreSQL, the lake, DynamoDB) and
returns `MaterializeResult`, so Dagster hands no value to an IO manager; yet it initializes
the `io_manager` resource in every step, and its default (`FilesystemIOManager`) imports
universal_pathlib and fsspec and scans the installed packages' entry points when first built:
0.3-0.8 s of each run process's first step (a deployed run is a process of its own), as
long as the SQL of a small partition. This one stores values exactly where and how the default does
(pickles under the instance's storage directory), building that manager only when a step
first stores or loads a value.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field


class _OnFirstValue(dg.IOManager):
    def __init__(self, factory: dg.FilesystemIOManager, context: dg.InitResourceContext):
        self._factory = factory
        self._context = context
        self._manager: dg.IOManager | None = None

    def _built(self) -> dg.IOManager:
        if self._manager is None:
            self._manager = self._factory.create_io_manager(self._context)
        return self._manager

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        self._built().handle_output(context, obj)

    def load_input(self, context: dg.InputContext) -> Any:
        return self._built().load_input(context)


class DeferredFilesystemIOManager(dg.ConfigurableIOManagerFactory):
    """`FilesystemIOManager`, built when the first value is stored or loaded."""

    base_dir: str | None = Field(
        default=None, description="None: the instance's storage directory, as Dagster's default."
    )

    def create_io_manager(self, context: dg.InitResourceContext) -> dg.IOManager:
        return _OnFirstValue(dg.FilesystemIOManager(base_dir=self.base_dir), context)
