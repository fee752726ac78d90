"""Materialization and check metadata shared by the counters' assets: problems and previews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import pandas as pd

LISTED = 50  # problems listed by name; the count is always complete


def problems_metadata(problems: Sequence[object]) -> dict[str, dg.MetadataValue]:
    """`problems` (how many) and `problem_list` (the first `LISTED`, as text)."""
    return {
        "problems": dg.MetadataValue.int(len(problems)),
        "problem_list": dg.MetadataValue.json([str(p) for p in problems[:LISTED]]),
    }


def preview(rows: Sequence[Mapping[str, Any]], limit: int = 10) -> dg.MetadataValue:
    """The first `limit` rows as a Markdown table (Dagster UI)."""
    if not rows:
        return dg.MetadataValue.md("*(no rows)*")
    return dg.MetadataValue.md(pd.DataFrame(list(rows[:limit])).to_markdown(index=False))
