-- Trips and average fare per pickup zone of one TLC month, busiest first.
-- params: month (YYYY-MM, e.g. 2026-09)
SELECT pulocationid, count(*) AS trips, round(avg(fare_amount), 2) AS average_fare
FROM tlc_trips
WHERE month = ?
GROUP BY pulocationid
ORDER BY trips DESC, pulocationid
LIMIT 20
