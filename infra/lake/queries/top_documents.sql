-- The ten most viewed documents of one UTC day ("yesterday": pass the day before today).
-- params: day (a UTC date: 2026-03-10)
SELECT document_id, max(title) AS title, count(*) AS views, count(DISTINCT user_id) AS users
FROM click_events
WHERE event_date = CAST(? AS DATE) AND event_kind = 'view'
GROUP BY document_id
ORDER BY views DESC, document_id
LIMIT 10
