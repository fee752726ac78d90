-- Bronze records and sessions per source hour (the UTC hour of inDate) of one UTC day.
-- params: day (a UTC date: 2026-03-10)
SELECT hour, count(*) AS records, count(DISTINCT session_id) AS sessions
FROM api_logs
WHERE hour LIKE replace(CAST(CAST(? AS DATE) AS VARCHAR), '-', '/') || '/%'
GROUP BY hour
ORDER BY hour
