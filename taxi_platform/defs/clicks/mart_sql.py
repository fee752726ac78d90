"""The Gold marts (and `silver_counts`) as one SQL model (`sql/`): files, parameters.

Pure: builds the `SqlModel` an engine (`taxi_platform/resources/engine.py`) runs over a
range of UTC days of Silver. The definitions themselves are in the SQL files; the peak hour
is read in the business time zone (`TAXI_TIMEZONE`), every stored timestamp stays UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from taxi_platform.defs.clicks.mart_tables import MART_NAMES, SILVER_COUNTS
from taxi_platform.sql_models import FileInput, SqlModel

SQL_DIR = Path(__file__).parent / "sql"


def gold_marts_sql(silver: Sequence[str], first: date, end: date, time_zone: str) -> SqlModel:
    """The marts of days [first, end) from the Silver objects `silver` (s3:// URIs or paths)."""
    return SqlModel(
        name="gold_marts",
        folder=SQL_DIR,
        inputs=(FileInput("events", "events", tuple((uri, {}) for uri in silver)),),
        steps=(*MART_NAMES, SILVER_COUNTS),
        outputs=(*MART_NAMES, SILVER_COUNTS),
        params={"start": first, "end": end, "time_zone": time_zone},
    )
