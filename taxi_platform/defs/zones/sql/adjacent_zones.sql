-- Per pickup zone: the sorted other dropoff zones whose average travel time from it is under
-- ${adjacency_minutes} minutes; a zone without such a neighbour has no row.
WITH near AS (
    SELECT pickup_zone_id, dropoff_zone_id
    FROM valid_trips
    WHERE pickup_zone_id <> dropoff_zone_id
    GROUP BY pickup_zone_id, dropoff_zone_id
    HAVING avg(duration_us) < ${adjacency_minutes} * 60000000
)
SELECT pickup_zone_id AS zone_id, array_sort(array_agg(dropoff_zone_id)) AS adjacent_zone_ids
FROM near
GROUP BY pickup_zone_id
