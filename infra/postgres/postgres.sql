-- Database `postgres`: Spark zone models (the old ec2-spark job) and the TLC zone table. Owner: spark_writer.
CREATE TABLE IF NOT EXISTS taxi_zones (
    location_id  integer PRIMARY KEY,
    borough      text NOT NULL,
    zone         text NOT NULL,
    service_zone text NOT NULL
);

CREATE TABLE IF NOT EXISTS expected_pickups (
    pickup_zone_id   integer NOT NULL,
    pickup_hour      smallint NOT NULL CHECK (pickup_hour BETWEEN 0 AND 23),
    expected_pickups double precision NOT NULL CHECK (expected_pickups >= 0),
    total_pickups    bigint NOT NULL,
    days_in_window   integer NOT NULL,
    PRIMARY KEY (pickup_zone_id, pickup_hour)
);

CREATE TABLE IF NOT EXISTS adjacent_zones (
    zone_id           integer PRIMARY KEY,
    adjacent_zone_ids integer[] NOT NULL
);
