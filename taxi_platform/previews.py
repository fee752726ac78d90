"""Markdown previews of a table's first rows, for an asset's metadata in the UI.

Why not pandas' `to_markdown`: it imports `tabulate` and `wcwidth`, 0.1–0.7 s (2 cores,
quiet to loaded) that every run process pays on its first preview, while a ten-row preview
needs no column alignment. Markdown renders the same table either way.
"""

from __future__ import annotations

import pandas as pd


def _cell(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, list | tuple):
        value = list(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_preview(frame: pd.DataFrame) -> str:
    """`frame` as a Markdown pipe table (header, then one line per row; NULL as empty)."""
    lines = [
        "| " + " | ".join(_cell(c) for c in frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)
