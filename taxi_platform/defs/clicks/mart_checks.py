"""Data-quality checks of the Gold marts (the old Gold layer's open TODO),
evaluated BEFORE publishing.

Why before: the marts feed dashboards directly, so a wrong number must never be committed.
The multi-asset evaluates every check on the engine's output of the run's days and publishes
only when all pass; otherwise nothing is written (the dashboards keep the previous,
consistent rows), the failed checks are recorded with the days and numbers that disagree,
and the run fails. All checks are blocking. Pure pandas: frames in, problem lines out.

Silver's side of the comparisons is `silver_counts` (per day: events, searches, views),
plain counts the model takes of its input next to, not through, the mart computations.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import dagster as dg
import pandas as pd

from taxi_platform.defs.clicks.mart_tables import (
    CLINICAL_AREAS,
    DAILY_TRAFFIC,
    HOURLY_TRAFFIC,
    MARTS,
    POPULAR_DOCUMENTS,
    SESSION_ANALYSIS,
    SILVER_COUNTS,
    Mart,
)

SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class MartOutputs:
    """One run's marts (and `silver_counts`) as frames by table name, and the run's days."""

    days: Sequence[date]
    frames: Mapping[str, pd.DataFrame]

    def per_day(self, table: str, column: str | None = None) -> pd.Series:
        """Sum of `column` (rows when None) per day of the run; 0 for a day without rows."""
        grouped = self.frames[table].groupby("event_date")
        series = grouped.size() if column is None else grouped[column].sum()
        return series.reindex(list(self.days), fill_value=0)

    def with_daily_sessions(self, table: str) -> pd.DataFrame:
        """`table` with its day's `unique_sessions` (mart_daily_traffic) as `day_sessions`."""
        daily = self.frames[DAILY_TRAFFIC.name][["event_date", "unique_sessions"]]
        return self.frames[table].merge(
            daily.rename(columns={"unique_sessions": "day_sessions"}), on="event_date", how="left"
        )


class MartCheck(NamedTuple):
    mart: Mart
    name: str
    description: str
    problems: Callable[[MartOutputs], list[str]]


def _differ(left: tuple[str, pd.Series], right: tuple[str, pd.Series]) -> list[str]:
    (left_name, left_values), (right_name, right_values) = left, right
    return [
        f"{day}: {left_name} = {int(a)} but {right_name} = {int(b)}"
        for day, a, b in zip(left_values.index, left_values, right_values, strict=True)
        if a != b
    ]


def _rows_where(frame: pd.DataFrame, bad: pd.Series, what: str) -> list[str]:
    return [
        f"{day}: {count} rows where {what}"
        for day, count in frame[bad].groupby("event_date").size().items()
    ]


def _key_problems(mart: Mart) -> Callable[[MartOutputs], list[str]]:
    def problems(outputs: MartOutputs) -> list[str]:
        keys = outputs.frames[mart.name][list(mart.key)]
        found = []
        if nulls := int(keys.isna().any(axis=1).sum()):
            found.append(f"{nulls} rows with a NULL key column")
        if duplicates := int(keys.duplicated().sum()):
            found.append(f"{duplicates} rows repeat a key")
        outside = sorted(set(keys["event_date"].dropna()) - set(outputs.days))
        found += [f"{day}: rows for a day outside the run" for day in outside]
        return found

    return problems


def _total_events(outputs: MartOutputs) -> list[str]:
    return _differ(
        ("total_events", outputs.per_day(DAILY_TRAFFIC.name, "total_events")),
        ("Silver events", outputs.per_day(SILVER_COUNTS, "events")),
    )


def _hourly_events(outputs: MartOutputs) -> list[str]:
    hourly = outputs.frames[HOURLY_TRAFFIC.name]
    return _differ(
        ("sum(events)", outputs.per_day(HOURLY_TRAFFIC.name, "events")),
        ("Silver events", outputs.per_day(SILVER_COUNTS, "events")),
    ) + _rows_where(hourly, ~hourly["local_hour"].between(0, 23), "local_hour is not in 0–23")


def _peak_hour(outputs: MartOutputs) -> list[str]:
    daily = outputs.frames[DAILY_TRAFFIC.name]
    return _rows_where(daily, ~daily["peak_hour"].between(0, 23), "peak_hour is not in 0–23")


def _clicks(outputs: MartOutputs) -> list[str]:
    return _differ(
        ("sum(click_count)", outputs.per_day(SESSION_ANALYSIS.name, "click_count")),
        ("total_events", outputs.per_day(DAILY_TRAFFIC.name, "total_events")),
    ) + _differ(
        ("session rows", outputs.per_day(SESSION_ANALYSIS.name)),
        ("unique_sessions", outputs.per_day(DAILY_TRAFFIC.name, "unique_sessions")),
    )


def _counted_events(mart: Mart, count: str, silver: str) -> Callable[[MartOutputs], list[str]]:
    """sum(count) = Silver's events of that kind, and no row has more sessions than events
    or than the whole day."""

    def problems(outputs: MartOutputs) -> list[str]:
        rows = outputs.with_daily_sessions(mart.name)
        return _differ(
            (f"sum({count})", outputs.per_day(mart.name, count)),
            (f"Silver {silver}", outputs.per_day(SILVER_COUNTS, silver)),
        ) + _rows_where(
            rows,
            (rows["unique_sessions"] > rows[count])
            | ~(rows["unique_sessions"] <= rows["day_sessions"]),
            f"unique_sessions exceeds {count} or the day's unique_sessions",
        )

    return problems


def _documents(outputs: MartOutputs) -> list[str]:
    return _differ(
        ("document rows", outputs.per_day(POPULAR_DOCUMENTS.name)),
        ("unique_documents", outputs.per_day(DAILY_TRAFFIC.name, "unique_documents")),
    )


MART_CHECKS = [
    *(
        MartCheck(
            mart,
            "valid_keys",
            f"No NULL in the key ({', '.join(mart.key)}), no repeated key, no day outside the run.",
            _key_problems(mart),
        )
        for mart in MARTS
    ),
    MartCheck(
        DAILY_TRAFFIC,
        "total_events_match_silver",
        "Per day, total_events = the day's rows in Silver click_events.",
        _total_events,
    ),
    MartCheck(DAILY_TRAFFIC, "peak_hour_in_range", "peak_hour is an hour 0–23.", _peak_hour),
    MartCheck(
        SESSION_ANALYSIS,
        "clicks_add_up",
        "Per day, sum(click_count) = total_events and the number of session rows = "
        "unique_sessions of mart_daily_traffic.",
        _clicks,
    ),
    MartCheck(
        CLINICAL_AREAS,
        "searches_add_up",
        "Per day, sum(search_count) = Silver's search events; no area has more "
        "unique_sessions than searches or than the day (mart_daily_traffic).",
        _counted_events(CLINICAL_AREAS, "search_count", "searches"),
    ),
    MartCheck(
        POPULAR_DOCUMENTS,
        "views_add_up",
        "Per day, sum(view_count) = Silver's view events; no document has more "
        "unique_sessions than views or than the day (mart_daily_traffic).",
        _counted_events(POPULAR_DOCUMENTS, "view_count", "views"),
    ),
    MartCheck(
        HOURLY_TRAFFIC,
        "hours_add_up",
        "Per day, sum(events) = the day's rows in Silver click_events; local_hour is 0–23.",
        _hourly_events,
    ),
    MartCheck(
        POPULAR_DOCUMENTS,
        "documents_match_traffic",
        "Per day, the number of document rows = unique_documents of mart_daily_traffic.",
        _documents,
    ),
]
MART_CHECK_SPECS = [
    dg.AssetCheckSpec(c.name, asset=c.mart.name, blocking=True, description=c.description)
    for c in MART_CHECKS
]


def evaluate(outputs: MartOutputs) -> list[dg.AssetCheckResult]:
    """Every mart check on one run's output; a failure's description shows its first lines."""
    results = []
    for check in MART_CHECKS:
        problems = check.problems(outputs)
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        results.append(
            dg.AssetCheckResult(
                asset_key=check.mart.name,
                check_name=check.name,
                passed=not problems,
                description=(shown + (f" (+{more} more)" if more > 0 else "")) or None,
                metadata={"problems": len(problems), "details": problems},
            )
        )
    return results
