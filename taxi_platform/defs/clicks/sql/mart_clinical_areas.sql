-- Per UTC day and searched clinical area: searches (views are not searches) and sessions.
SELECT
    event_date,
    clinical_area,
    count(*) AS search_count,
    count(DISTINCT session_id) AS unique_sessions
FROM events
WHERE event_kind = 'search' AND clinical_area IS NOT NULL
GROUP BY event_date, clinical_area
