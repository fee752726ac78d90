SELECT pickup_zone_id, dropoff_zone_id, pickup_hour, duration_us
FROM classified
WHERE reject_reason IS NULL
