"""Column documentation shared by the Silver and Gold assets.

Why one list per table: a BI user reads a table's column definitions in the Dagster UI, both
in the asset description (Markdown) and in the Columns tab (`dagster/column_schema`); both
are rendered from the same `Column` list so they never disagree.
"""

from collections.abc import Sequence
from typing import NamedTuple

import dagster as dg


class Column(NamedTuple):
    name: str
    type: str
    description: str


def column_table(columns: Sequence[Column]) -> str:
    """The columns as a Markdown table (for an asset description)."""
    lines = ["| column | type | definition |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {c.description} |" for c in columns]
    return "\n".join(lines)


def column_schema(columns: Sequence[Column]) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, c.type, description=c.description) for c in columns]
    )
