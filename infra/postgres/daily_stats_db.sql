-- Database `daily_stats_db`: DynamoDB counters (the old stats scripts and Grafana collector). Owner: stats_writer.
-- Applied by `taxi-platform stack up` and by PostgresResource on first use: idempotent.
-- The `taxi_platform.counters` assets write every table; Grafana reads them as bi_reader, in the
-- database's default TimeZone, which PostgresResource sets to TAXI_TIMEZONE with this schema.

-- One row per business day D = [D 03:00, D+1 03:00) in TAXI_TIMEZONE (the counters' business day), rebuilt from
-- counter_reset_ledger on a re-run, so it never needs the (already reset) counters again.
CREATE TABLE IF NOT EXISTS daily_zone_stats (
    stat_date             date PRIMARY KEY,
    most_pickup_zone      text,
    most_pickup_count     bigint,
    least_pickup_zone     text,
    least_pickup_count    bigint,
    total_dispatch        bigint NOT NULL,
    total_pickup          bigint NOT NULL,
    dispatch_success_rate numeric(22, 3)  -- any ratio of two bigints
);

-- Dispatches and pickups *within* each hour (partition = "timestamp", the hour's start).
CREATE TABLE IF NOT EXISTS zone_diff_stats (
    "timestamp"           timestamptz NOT NULL,
    zone_id               text NOT NULL,
    dispatch_count        bigint NOT NULL,
    pickup_count          bigint NOT NULL,
    dispatch_minus_pickup bigint NOT NULL,
    PRIMARY KEY ("timestamp", zone_id)
);

-- What zone_diff_stats could not count in an hour, replaced with the hour's rows: an
-- "anomaly" (a counter went down by more than the reset ledger explains: the zone has no
-- row), "no_baseline" (no earlier snapshot: the row may miss increments), "late_boundary"
-- (no snapshot at the hour's end: later increments count in the next hour; zone_id NULL).
CREATE TABLE IF NOT EXISTS zone_diff_issues (
    "timestamp" timestamptz NOT NULL,
    zone_id     text,
    kind        text NOT NULL,
    detail      text NOT NULL
);
CREATE INDEX IF NOT EXISTS zone_diff_issues_timestamp ON zone_diff_issues ("timestamp");

-- Cumulative counters since the last reset, one snapshot per capture (scan start time).
CREATE TABLE IF NOT EXISTS zone_hourly_activity_log (
    captured_at    timestamptz NOT NULL,
    zone_id        text NOT NULL,
    dispatch_count bigint NOT NULL,
    pickup_count   bigint NOT NULL,
    PRIMARY KEY (captured_at, zone_id)
);

-- The lossless daily reset: per business day what was read and then subtracted
-- (`ADD count -n`). Written 'pending' before DynamoDB is touched, 'applied' (with reset_at,
-- taken after the last UpdateItem returned) in the transaction that writes daily_zone_stats.
CREATE TABLE IF NOT EXISTS counter_resets (
    stat_date      date PRIMARY KEY,
    status         text NOT NULL CHECK (status IN ('pending', 'applied')),
    read_at        timestamptz NOT NULL,
    reset_at       timestamptz,
    counted_since  timestamptz,
    total_dispatch bigint NOT NULL CHECK (total_dispatch >= 0),
    total_pickup   bigint NOT NULL CHECK (total_pickup >= 0),
    problems       jsonb NOT NULL DEFAULT '[]',
    CHECK ((status = 'applied') = (reset_at IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS counter_reset_ledger (
    stat_date           date NOT NULL REFERENCES counter_resets ON DELETE CASCADE,
    zone_id             text NOT NULL,
    dispatch_subtracted bigint NOT NULL CHECK (dispatch_subtracted >= 0),
    pickup_subtracted   bigint NOT NULL CHECK (pickup_subtracted >= 0),
    PRIMARY KEY (stat_date, zone_id)
);

-- Grafana's live panels (the old Grafana setup), each table replaced whole every minute in one transaction.
CREATE TABLE IF NOT EXISTS live_zone_counters (
    zone_id        text PRIMARY KEY,
    dispatch_count bigint NOT NULL,
    pickup_count   bigint NOT NULL,
    refreshed_at   timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS live_counter_totals (
    counter_type text PRIMARY KEY,
    total        bigint NOT NULL,
    zone_sum     bigint NOT NULL,
    refreshed_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS live_taxi_destinations (
    taxi_id          text PRIMARY KEY,
    status           text,
    destination_zone text,
    updated_at       timestamptz,
    refreshed_at     timestamptz NOT NULL
);

-- The live warning panel and its alert: taxis without an assignment. Created only when
-- missing: every run process applies this file once, and concurrent CREATE OR REPLACE VIEWs
-- of the same view can fail ("tuple concurrently updated").
DO $$
BEGIN
    IF to_regclass('live_unassigned_taxis') IS NULL THEN
        CREATE VIEW live_unassigned_taxis AS
        SELECT taxi_id, status, updated_at, refreshed_at
        FROM live_taxi_destinations
        WHERE destination_zone IS NULL;
    END IF;
END
$$;

-- Counts wider than `integer`: a counter above 2^31-1 must not wedge a reset whose ledger
-- (bigint) is already written. `CREATE TABLE IF NOT EXISTS` leaves existing tables as they
-- were, so older databases are widened here; only columns still narrower are altered, so a
-- re-run of this file takes no table lock.
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN
        SELECT c.table_name, c.column_name, w.type
        FROM information_schema.columns c
        JOIN (VALUES
            ('daily_zone_stats', 'most_pickup_count', 'bigint'),
            ('daily_zone_stats', 'least_pickup_count', 'bigint'),
            ('daily_zone_stats', 'total_dispatch', 'bigint'),
            ('daily_zone_stats', 'total_pickup', 'bigint'),
            ('daily_zone_stats', 'dispatch_success_rate', 'numeric(22,3)'),
            ('zone_diff_stats', 'dispatch_count', 'bigint'),
            ('zone_diff_stats', 'pickup_count', 'bigint'),
            ('zone_diff_stats', 'dispatch_minus_pickup', 'bigint')
        ) AS w (table_name, column_name, type)
          ON c.table_name = w.table_name AND c.column_name = w.column_name
        WHERE c.table_schema = current_schema()
          AND (c.data_type = 'integer'
               OR (c.data_type = 'numeric' AND c.numeric_precision IS DISTINCT FROM 22))
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE %s',
                       target.table_name, target.column_name, target.type);
    END LOOP;
END
$$;
