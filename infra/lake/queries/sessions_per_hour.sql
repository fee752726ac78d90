-- Sessions with at least one click event per UTC hour of one day (Silver, duplicates dropped).
-- params: day (a UTC date: 2026-03-10)
SELECT hour(event_ts) AS utc_hour, count(DISTINCT session_id) AS sessions, count(*) AS events
FROM click_events
WHERE event_date = CAST(? AS DATE)
GROUP BY hour(event_ts)
ORDER BY utc_hour
