-- Database `daily_stats_db`: DynamoDB counters (seeds 000/001). Owner: stats_writer.
CREATE TABLE IF NOT EXISTS daily_zone_stats (
    stat_date             date PRIMARY KEY,
    most_pickup_zone      text,
    most_pickup_count     integer,
    least_pickup_zone     text,
    least_pickup_count    integer,
    total_dispatch        integer NOT NULL,
    total_pickup          integer NOT NULL,
    dispatch_success_rate numeric(6, 3)
);

CREATE TABLE IF NOT EXISTS zone_diff_stats (
    "timestamp"           timestamptz NOT NULL,
    zone_id               text NOT NULL,
    dispatch_count        integer NOT NULL,
    pickup_count          integer NOT NULL,
    dispatch_minus_pickup integer NOT NULL,
    PRIMARY KEY ("timestamp", zone_id)
);

CREATE TABLE IF NOT EXISTS zone_hourly_activity_log (
    captured_at    timestamptz NOT NULL,
    zone_id        text NOT NULL,
    dispatch_count bigint NOT NULL,
    pickup_count   bigint NOT NULL,
    PRIMARY KEY (captured_at, zone_id)
);
