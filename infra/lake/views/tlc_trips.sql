-- table: tlc_trips
-- source: raw/nyc_taxi/
-- path columns: month
-- NYC TLC yellow trips (taxi_platform/defs/zones/trip_files.py): one Parquet file per month,
-- raw/nyc_taxi/yellow_tripdata_YYYY-MM.parquet, in one of TLC's three published shapes; the
-- columns here are the current shape's (2023-02 on) plus cbd_congestion_fee (2025-01 on, NULL
-- before), with the older files' wider types cast to them. month = 'YYYY-MM' from the file
-- name: a file is not a folder, so Athena cannot project it as a partition; there it is
-- regexp_extract("$path", 'yellow_tripdata_(\d{4}-\d{2})\.parquet$', 1).
CREATE OR REPLACE VIEW tlc_trips AS
SELECT
    CAST(vendorid AS INTEGER) AS vendorid,
    CAST(tpep_pickup_datetime AS TIMESTAMP) AS tpep_pickup_datetime,
    CAST(tpep_dropoff_datetime AS TIMESTAMP) AS tpep_dropoff_datetime,
    CAST(passenger_count AS BIGINT) AS passenger_count,
    CAST(trip_distance AS DOUBLE) AS trip_distance,
    CAST(ratecodeid AS BIGINT) AS ratecodeid,
    CAST(store_and_fwd_flag AS VARCHAR) AS store_and_fwd_flag,
    CAST(pulocationid AS INTEGER) AS pulocationid,
    CAST(dolocationid AS INTEGER) AS dolocationid,
    CAST(payment_type AS BIGINT) AS payment_type,
    CAST(fare_amount AS DOUBLE) AS fare_amount,
    CAST(extra AS DOUBLE) AS extra,
    CAST(mta_tax AS DOUBLE) AS mta_tax,
    CAST(tip_amount AS DOUBLE) AS tip_amount,
    CAST(tolls_amount AS DOUBLE) AS tolls_amount,
    CAST(improvement_surcharge AS DOUBLE) AS improvement_surcharge,
    CAST(total_amount AS DOUBLE) AS total_amount,
    CAST(congestion_surcharge AS DOUBLE) AS congestion_surcharge,
    CAST(airport_fee AS DOUBLE) AS airport_fee,
    CAST(cbd_congestion_fee AS DOUBLE) AS cbd_congestion_fee,
    regexp_extract(filename, 'yellow_tripdata_(\d{4}-\d{2})\.parquet$', 1) AS month
FROM (
    SELECT * FROM read_parquet(
        '{lake}/raw/nyc_taxi/yellow_tripdata_*.parquet', union_by_name = true, filename = true
    )
    -- files before 2025-01 have no cbd_congestion_fee: BY NAME fills it with NULL
    UNION ALL BY NAME SELECT CAST(NULL AS DOUBLE) AS cbd_congestion_fee WHERE false
);
