-- Per UTC day: events, sessions, documents viewed, and the peak hour: the hour of day (0-23)
-- in the business time zone ${time_zone} with the most events, the smallest such hour on ties.
-- Stored timestamps stay UTC; only the hour a person reads is local.
WITH hourly AS (
    SELECT
        event_date,
        hour(event_ts AT TIME ZONE ${time_zone}) AS hour,
        count(*) AS events
    FROM events
    GROUP BY event_date, hour(event_ts AT TIME ZONE ${time_zone})
),
traffic AS (
    -- Most events first, then the smallest hour: the minimum of hour - 24 * events.
    SELECT
        event_date,
        sum(events) AS total_events,
        CAST(min_by(hour, hour - 24 * events) AS SMALLINT) AS peak_hour
    FROM hourly
    GROUP BY event_date
),
distinct_counts AS (
    SELECT
        event_date,
        count(DISTINCT session_id) AS unique_sessions,
        count(DISTINCT CASE WHEN event_kind = 'view' THEN document_id END) AS unique_documents
    FROM events
    GROUP BY event_date
)
SELECT
    traffic.event_date,
    traffic.total_events,
    distinct_counts.unique_sessions,
    distinct_counts.unique_documents,
    traffic.peak_hour
FROM traffic
JOIN distinct_counts ON distinct_counts.event_date = traffic.event_date
