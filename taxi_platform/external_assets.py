"""Systems outside the platform as external assets: the sources it reads (DynamoDB tables,
the log API, TLC's files) and the dashboards that read it, so that the asset graph runs from
where data comes from to where people read it."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from taxi_platform.catalog import Domain


def external_asset(
    domain: Domain,
    key: Sequence[str],
    *,
    group_name: str,
    kinds: set[str],
    description: str,
    layer: str = "source",
    deps: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> dg.AssetSpec:
    """An `AssetSpec` of `domain`, tier 1; its code reference is the line that declares it."""
    caller = inspect.currentframe().f_back  # not inspect.stack(): it reads every frame's source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # code references: beta in 1.13
        reference = dg.LocalFileCodeReference(
            file_path=caller.f_code.co_filename, line_number=caller.f_lineno
        )
        code = dg.CodeReferencesMetadataValue(code_references=[reference])
    return dg.AssetSpec(
        dg.AssetKey(list(key)),
        group_name=group_name,
        kinds=kinds,
        description=description,
        deps=[dg.AssetKey.from_user_string(dep) for dep in deps],
        metadata={
            **(metadata or {}),
            "dagster/code_references": code,
        },
        **domain.attributes(layer, tier=1),
    )
