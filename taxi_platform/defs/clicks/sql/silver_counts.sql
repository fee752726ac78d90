-- Per UTC day: events, searches, views, counted straight from the input (beside the marts,
-- not through them) for the marts' checks.
SELECT
    event_date,
    count(*) AS events,
    count(CASE WHEN event_kind = 'search' THEN 1 END) AS searches,
    count(CASE WHEN event_kind = 'view' THEN 1 END) AS views
FROM events
GROUP BY event_date
