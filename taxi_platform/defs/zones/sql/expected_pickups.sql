-- Per (pickup_zone_id, pickup_hour): pickups in that hour per day of the window, every
-- calendar day of the selected months counting (days without a pickup are zeros); all 24
-- hours of every zone with a valid pickup.
WITH pickups AS (
    SELECT pickup_zone_id, pickup_hour, count(*) AS total_pickups
    FROM valid_trips
    GROUP BY pickup_zone_id, pickup_hour
),
zones AS (
    SELECT DISTINCT pickup_zone_id FROM valid_trips
),
hours AS (
    SELECT CAST(hour AS SMALLINT) AS pickup_hour
    FROM (SELECT unnest(generate_series(0, 23)) AS hour) AS day_hours
)
SELECT
    zones.pickup_zone_id,
    hours.pickup_hour,
    coalesce(pickups.total_pickups, 0) / CAST(${days_in_window} AS DOUBLE) AS expected_pickups,
    coalesce(pickups.total_pickups, 0) AS total_pickups,
    CAST(${days_in_window} AS INTEGER) AS days_in_window
FROM zones
CROSS JOIN hours
LEFT JOIN pickups
    ON pickups.pickup_zone_id = zones.pickup_zone_id
    AND pickups.pickup_hour = hours.pickup_hour
