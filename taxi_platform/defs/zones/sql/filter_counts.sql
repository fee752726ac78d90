-- Trips per first failed filter, `valid` for the rest (the run's metadata).
SELECT coalesce(reject_reason, 'valid') AS reason, count(*) AS trips
FROM classified
GROUP BY coalesce(reject_reason, 'valid')
