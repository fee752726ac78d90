"""The marts computed independently with pandas from the simulator's own raw records
(never from Silver): the expected answer of the pipeline tests. Days are UTC; the peak hour
and the hourly traffic's local date and hour are in the business time zone (`TAXI_TIMEZONE`,
Asia/Seoul by default)."""

from collections.abc import Sequence
from datetime import date

import pandas as pd

from taxi_platform.settings import timezone

KEYS = {
    "mart_session_analysis": ["session_id", "event_date"],
    "mart_daily_traffic": ["event_date"],
    "mart_clinical_areas": ["event_date", "clinical_area"],
    "mart_popular_documents": ["event_date", "document_id"],
    "mart_hourly_traffic": ["event_date", "local_date", "local_hour"],
}


def events(records: Sequence[dict], days: Sequence[date]) -> pd.DataFrame:
    """Raw records → one row per distinct record of `days` (UTC), with `ts` and `event_date`."""
    frame = pd.DataFrame(records).astype({"document_id": "Int64"}).drop_duplicates()
    frame["ts"] = pd.to_datetime(frame["inDate"], format="ISO8601", utc=True)
    frame["event_date"] = frame["ts"].dt.date
    return frame[frame["event_date"].isin(days)]


def _sorted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.sort_values(KEYS[name]).reset_index(drop=True)


def session_analysis(ev: pd.DataFrame) -> pd.DataFrame:
    keys = ["session_id", "event_date"]
    sessions = ev.groupby(keys).agg(
        click_count=("ts", "size"), first_click_ts=("ts", "min"), last_click_ts=("ts", "max")
    )
    viewed = ev[ev["document_id"].notna()].groupby(keys)["document_id"].nunique()
    sessions["unique_docs"] = viewed.reindex(sessions.index, fill_value=0)
    span = sessions["last_click_ts"] - sessions["first_click_ts"]
    sessions["session_duration_sec"] = span.dt.total_seconds()
    return _sorted(sessions.reset_index(), "mart_session_analysis")


def peak_hours(ev: pd.DataFrame, time_zone: str) -> pd.Series:
    """Per UTC day: the local hour of day in `time_zone` with the most events, the smallest
    such hour on ties."""
    local_hour = ev["ts"].dt.tz_convert(time_zone).dt.hour.rename("hour")
    hourly = ev.groupby(["event_date", local_hour]).size()
    hourly = hourly.rename("n").reset_index()
    peak = hourly.sort_values(["event_date", "n", "hour"], ascending=[True, False, True])
    return peak.drop_duplicates("event_date").set_index("event_date")["hour"]


def daily_traffic(ev: pd.DataFrame) -> pd.DataFrame:
    by_day = ev.groupby("event_date")
    daily = pd.DataFrame(
        {
            "total_events": by_day.size(),
            "unique_sessions": by_day["session_id"].nunique(),
            "unique_documents": ev[ev["document_id"].notna()]
            .groupby("event_date")["document_id"]
            .nunique(),
            "peak_hour": peak_hours(ev, timezone()),
        }
    ).fillna({"unique_documents": 0})
    return _sorted(daily.reset_index(names="event_date"), "mart_daily_traffic")


def hourly_traffic(ev: pd.DataFrame, time_zone: str) -> pd.DataFrame:
    """Per UTC day, local date and local hour of day in `time_zone`: events."""
    local = ev["ts"].dt.tz_convert(time_zone)
    keys = [
        ev["event_date"],
        local.dt.date.rename("local_date"),
        local.dt.hour.rename("local_hour"),
    ]
    hourly = ev.groupby(keys).size().rename("events").reset_index()
    return _sorted(hourly, "mart_hourly_traffic")


def clinical_areas(ev: pd.DataFrame) -> pd.DataFrame:
    searches = ev[ev["query"].notna()]
    areas = searches.groupby(["event_date", "clinical_area"]).agg(
        search_count=("ts", "size"), unique_sessions=("session_id", "nunique")
    )
    return _sorted(areas.reset_index(), "mart_clinical_areas")


def popular_documents(ev: pd.DataFrame) -> pd.DataFrame:
    views = ev[ev["document_id"].notna()]
    keys = ["event_date", "document_id"]
    latest = views.sort_values(["ts", "title"], ascending=[False, True]).drop_duplicates(keys)
    documents = views.groupby(keys).agg(
        view_count=("ts", "size"), unique_sessions=("session_id", "nunique")
    )
    documents["title"] = latest.set_index(keys)["title"]
    documents = documents.reset_index().astype({"document_id": "int64"})
    return _sorted(documents, "mart_popular_documents")


def reference_marts(records: Sequence[dict], days: Sequence[date]) -> dict[str, pd.DataFrame]:
    ev = events(records, days)
    return {
        "mart_session_analysis": session_analysis(ev),
        "mart_daily_traffic": daily_traffic(ev),
        "mart_clinical_areas": clinical_areas(ev),
        "mart_popular_documents": popular_documents(ev),
        "mart_hourly_traffic": hourly_traffic(ev, timezone()),
    }
