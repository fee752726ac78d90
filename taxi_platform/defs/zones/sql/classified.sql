-- Every trip with the first validity filter it fails (NULL for a valid trip), in this order;
-- a NULL in a tested column fails the filter, so the counts add up to input - valid rows.
--  1. pickup_outside_month: pickup in [first day, first day of next month) of its file's month
--  2. dropoff_not_after_pickup: no negative or zero trips
--  3. duration_over_max: longer than ${max_trip_minutes} minutes is a meter left running
--  4. non_positive_total_amount: refunds, disputes, voided trips
--  5. invalid_zone_id: 264/265 are TLC's "Unknown"/"Outside of NYC", others are no zone
SELECT
    pickup_zone_id,
    dropoff_zone_id,
    CAST(hour(pickup_at) AS SMALLINT) AS pickup_hour,
    date_diff('microsecond', pickup_at, dropoff_at) AS duration_us,
    CASE
        WHEN NOT coalesce(pickup_at >= month_start AND pickup_at < month_end, FALSE)
            THEN 'pickup_outside_month'
        WHEN NOT coalesce(dropoff_at > pickup_at, FALSE)
            THEN 'dropoff_not_after_pickup'
        WHEN NOT coalesce(
            date_diff('microsecond', pickup_at, dropoff_at) <= ${max_trip_minutes} * 60000000,
            FALSE
        )
            THEN 'duration_over_max'
        WHEN NOT coalesce(total_amount > 0, FALSE)
            THEN 'non_positive_total_amount'
        WHEN NOT coalesce(
            pickup_zone_id BETWEEN 1 AND 263 AND dropoff_zone_id BETWEEN 1 AND 263, FALSE
        )
            THEN 'invalid_zone_id'
    END AS reject_reason
FROM trips
