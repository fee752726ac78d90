"""The Gold marts (the old Gold layer's four, and the hourly traffic the BI heatmap reads):
what each row is, its key, and every column's definition.

Why a catalogue: the asset descriptions (what BI users read in the UI), the column schemas,
the checks (keys) and the publishing step (table names) all come from here; the SQL types
are `infra/postgres/gold.sql`'s. `RULES` (what a click, a day and a session are) opens
every mart's description, so each page in the UI is complete on its own.
"""

from typing import NamedTuple

from taxi_platform.defs.clicks.columns import Column

RULES = (
    "Counted from Silver `click_events` (one row per distinct logged event, exact duplicates "
    "removed). A **click** is any event, search or document view. Days and sessions are cut "
    "in **UTC**: a session that crosses midnight UTC has one row per `event_date`, each "
    "counted and timed within its own day; timestamps are stored in UTC. The days and hours "
    "a person reads, `peak_hour` and `mart_hourly_traffic`'s local date and hour, are in the "
    "**business time zone** (`TAXI_TIMEZONE`, Asia/Seoul by default; rows written before a "
    "change keep the zone of their run). Table `{name}` of database `gold`; each run "
    "replaces exactly its days' rows, all marts in one transaction."
)
EVENT_DATE = Column("event_date", "date", "UTC day of the events counted in the row.")


class Mart(NamedTuple):
    name: str
    summary: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def rules(self) -> str:
        return RULES.format(name=self.name)


SESSION_ANALYSIS = Mart(
    "mart_session_analysis",
    "One row per session and UTC day in which the session has at least one event.",
    ("session_id", "event_date"),
    (
        Column("session_id", "text", "Session identifier as logged."),
        EVENT_DATE,
        Column("click_count", "integer", "Events (searches + document views) of the session."),
        Column(
            "unique_docs",
            "integer",
            "Distinct `document_id`s the session viewed (0 for a search-only session).",
        ),
        Column("first_click_ts", "timestamptz", "Time of the session's first event (UTC)."),
        Column("last_click_ts", "timestamptz", "Time of the session's last event (UTC)."),
        Column(
            "session_duration_sec",
            "double precision",
            "`last_click_ts − first_click_ts` in seconds (µs precision); 0 for one click.",
        ),
    ),
)
DAILY_TRAFFIC = Mart(
    "mart_daily_traffic",
    "One row per UTC day with at least one event.",
    ("event_date",),
    (
        EVENT_DATE,
        Column("total_events", "integer", "All events of the day (= rows of Silver)."),
        Column(
            "unique_sessions",
            "integer",
            "Distinct sessions with an event that day (= rows of `mart_session_analysis`).",
        ),
        Column(
            "unique_documents",
            "integer",
            "Distinct `document_id`s viewed that day; searches reference no document "
            "(= rows of `mart_popular_documents`).",
        ),
        Column(
            "peak_hour",
            "smallint",
            "Hour of day (0–23) in the business time zone (`TAXI_TIMEZONE`, Asia/Seoul by "
            "default) with the most events of the UTC day; the smallest such hour on ties.",
        ),
    ),
)
CLINICAL_AREAS = Mart(
    "mart_clinical_areas",
    "One row per UTC day and clinical area searched that day. Only search events count "
    "(a document view's area is the document's, not a search).",
    ("event_date", "clinical_area"),
    (
        EVENT_DATE,
        Column("clinical_area", "text", "Clinical area the search was made in."),
        Column("search_count", "integer", "Search events in that area."),
        Column(
            "unique_sessions", "integer", "Distinct sessions with a search in that area that day."
        ),
    ),
)
POPULAR_DOCUMENTS = Mart(
    "mart_popular_documents",
    "One row per UTC day and document viewed that day. Only document views count.",
    ("event_date", "document_id"),
    (
        EVENT_DATE,
        Column("document_id", "bigint", "Viewed document."),
        Column(
            "title",
            "text",
            "Title carried by the document's latest view of the day (if titles differ, the "
            "most recent wins; among views at the same instant, the alphabetically first).",
        ),
        Column("view_count", "integer", "View events of the document."),
        Column("unique_sessions", "integer", "Distinct sessions that viewed it that day."),
    ),
)
HOURLY_TRAFFIC = Mart(
    "mart_hourly_traffic",
    "One row per UTC day and hour of the business time zone with at least one event: the "
    "day's rhythm. A local day spans two UTC days, so its hours are the sums over its rows.",
    ("event_date", "local_date", "local_hour"),
    (
        EVENT_DATE,
        Column("local_date", "date", "Date of the events in the business time zone."),
        Column(
            "local_hour",
            "smallint",
            "Hour of day (0–23) of the events in the business time zone (a clock hour that "
            "repeats when summer time ends counts both).",
        ),
        Column("events", "integer", "Events in that hour of that UTC day."),
    ),
)
MARTS = (SESSION_ANALYSIS, DAILY_TRAFFIC, CLINICAL_AREAS, POPULAR_DOCUMENTS, HOURLY_TRAFFIC)
MART_NAMES = tuple(m.name for m in MARTS)
# Per day: events, searches, views of the input, for the checks (computed beside the marts).
SILVER_COUNTS = "silver_counts"
