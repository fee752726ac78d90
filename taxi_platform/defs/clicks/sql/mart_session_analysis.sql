-- Per session and UTC day: its events, distinct documents viewed, first and last event and
-- the time between them (µs precision, 0 for one click).
SELECT
    session_id,
    event_date,
    count(*) AS click_count,
    count(DISTINCT CASE WHEN event_kind = 'view' THEN document_id END) AS unique_docs,
    min(event_ts) AS first_click_ts,
    max(event_ts) AS last_click_ts,
    date_diff('microsecond', min(event_ts), max(event_ts)) / 1e6 AS session_duration_sec
FROM events
GROUP BY session_id, event_date
