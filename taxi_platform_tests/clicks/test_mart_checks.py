"""The mart checks on small consistent frames, then on each kind of wrong number (pure)."""

from datetime import date

import pandas as pd
import pytest

from taxi_platform.defs.clicks.mart_checks import MART_CHECKS, MartOutputs, evaluate

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def consistent() -> dict[str, pd.DataFrame]:
    """Day 1: sessions a (search, view 10, view 11) and b (view 10); day 2: none."""
    return {
        "mart_session_analysis": pd.DataFrame(
            {"session_id": ["a", "b"], "event_date": [D1, D1], "click_count": [3, 1]}
        ),
        "mart_daily_traffic": pd.DataFrame(
            {
                "event_date": [D1],
                "total_events": [4],
                "unique_sessions": [2],
                "unique_documents": [2],
                "peak_hour": [9],
            }
        ),
        "mart_clinical_areas": pd.DataFrame(
            {
                "event_date": [D1],
                "clinical_area": ["Cardiology"],
                "search_count": [1],
                "unique_sessions": [1],
            }
        ),
        "mart_popular_documents": pd.DataFrame(
            {
                "event_date": [D1, D1],
                "document_id": [10, 11],
                "view_count": [2, 1],
                "unique_sessions": [2, 1],
            }
        ),
        "mart_hourly_traffic": pd.DataFrame(
            {
                "event_date": [D1, D1],
                "local_date": [D1, D1],
                "local_hour": [9, 10],
                "events": [3, 1],
            }
        ),
        "silver_counts": pd.DataFrame(
            {"event_date": [D1], "events": [4], "searches": [1], "views": [3]}
        ),
    }


def failures(frames) -> dict[str, str]:
    results = evaluate(MartOutputs([D1, D2], frames))
    assert len(results) == len(MART_CHECKS)
    return {
        f"{r.asset_key.to_user_string()}.{r.check_name}": r.description
        for r in results
        if not r.passed
    }


def test_consistent_marts_pass():
    assert failures(consistent()) == {}


@pytest.mark.parametrize(
    ("table", "column", "value", "failed", "message"),
    [
        (
            "mart_daily_traffic",
            "total_events",
            5,
            ["mart_daily_traffic.total_events_match_silver", "mart_session_analysis.clicks_add_up"],
            "2026-03-01: total_events = 5 but Silver events = 4",
        ),
        (
            "mart_daily_traffic",
            "peak_hour",
            24,
            ["mart_daily_traffic.peak_hour_in_range"],
            "2026-03-01: 1 rows where peak_hour is not in 0–23",
        ),
        (
            "mart_daily_traffic",
            "unique_sessions",
            1,
            [
                "mart_session_analysis.clicks_add_up",
                "mart_popular_documents.views_add_up",
            ],
            "2026-03-01: session rows = 2 but unique_sessions = 1",
        ),
        (
            "mart_hourly_traffic",
            "events",
            2,
            ["mart_hourly_traffic.hours_add_up"],
            "2026-03-01: sum(events) = 3 but Silver events = 4",
        ),
        (
            "mart_hourly_traffic",
            "local_hour",
            24,
            ["mart_hourly_traffic.hours_add_up"],
            "2026-03-01: 1 rows where local_hour is not in 0–23",
        ),
        (
            "mart_clinical_areas",
            "search_count",
            2,
            ["mart_clinical_areas.searches_add_up"],
            "2026-03-01: sum(search_count) = 2 but Silver searches = 1",
        ),
        (
            "mart_popular_documents",
            "unique_sessions",
            3,
            ["mart_popular_documents.views_add_up"],
            "2026-03-01: 1 rows where unique_sessions exceeds view_count or the day's",
        ),
        (
            "mart_session_analysis",
            "session_id",
            None,
            ["mart_session_analysis.valid_keys"],
            "1 rows with a NULL key column",
        ),
        (
            "mart_popular_documents",
            "event_date",
            date(2026, 3, 9),
            [
                "mart_popular_documents.valid_keys",
                "mart_popular_documents.views_add_up",
                "mart_popular_documents.documents_match_traffic",
            ],
            "2026-03-09: rows for a day outside the run",
        ),
    ],
)
def test_each_wrong_number_fails_its_checks(table, column, value, failed, message):
    frames = consistent()
    frames[table].loc[0, column] = value
    found = failures(frames)
    assert sorted(found) == sorted(failed)
    assert any(message in text for text in found.values()), found


def test_a_repeated_key_and_a_missing_document_row_are_caught():
    frames = consistent()
    documents = frames["mart_popular_documents"]
    frames["mart_popular_documents"] = pd.concat([documents.iloc[[0, 0]]], ignore_index=True)
    found = failures(frames)
    assert "1 rows repeat a key" in found["mart_popular_documents.valid_keys"]
    assert (
        "2026-03-01: sum(view_count) = 4 but Silver views = 3"
        in found["mart_popular_documents.views_add_up"]
    )
