-- One TLC Yellow Taxi month file: the columns the zone models use, typed alike for every
-- published schema variant, with the file's month bounds (rows of other months are dirt).
-- Timestamps are naive New York wall times and stay so.
SELECT
    CAST(tpep_pickup_datetime AS TIMESTAMP) AS pickup_at,
    CAST(tpep_dropoff_datetime AS TIMESTAMP) AS dropoff_at,
    CAST(PULocationID AS INTEGER) AS pickup_zone_id,
    CAST(DOLocationID AS INTEGER) AS dropoff_zone_id,
    CAST(total_amount AS DOUBLE) AS total_amount,
    CAST(${month_start} AS TIMESTAMP) AS month_start,
    CAST(${month_end} AS TIMESTAMP) AS month_end
FROM source_file
