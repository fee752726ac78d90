-- Per UTC day and viewed document: views, sessions, and the title of its latest view of the
-- day (the alphabetically first among views at that same instant).
WITH views AS (
    SELECT * FROM events WHERE event_kind = 'view'
),
latest AS (
    SELECT
        event_date,
        document_id,
        title,
        row_number() OVER (
            PARTITION BY event_date, document_id ORDER BY event_ts DESC, title ASC
        ) AS rank
    FROM views
),
counted AS (
    SELECT
        event_date,
        document_id,
        count(*) AS view_count,
        count(DISTINCT session_id) AS unique_sessions
    FROM views
    GROUP BY event_date, document_id
)
SELECT counted.event_date, counted.document_id, latest.title, counted.view_count,
       counted.unique_sessions
FROM counted
JOIN latest
    ON latest.event_date = counted.event_date
    AND latest.document_id = counted.document_id
    AND latest.rank = 1
