-- table: click_events
-- source: silver/click_events/
-- Silver `click_events` (taxi_platform/defs/clicks/silver_schema.py): one Parquet object per
-- UTC day, silver/click_events/event_date=YYYY-MM-DD/part-0.parquet. Partition: event_date
-- (hive-style key; the files hold the same value).
CREATE OR REPLACE VIEW click_events AS
SELECT
    CAST(event_ts AS TIMESTAMPTZ) AS event_ts,
    in_date,
    CAST(utc_offset_minutes AS SMALLINT) AS utc_offset_minutes,
    event_kind,
    session_id,
    user_id,
    method,
    url,
    query,
    clinical_area,
    CAST(document_id AS BIGINT) AS document_id,
    title,
    extra_fields,
    CAST(event_date AS DATE) AS event_date
FROM read_parquet('{lake}/silver/click_events/event_date=*/*.parquet', hive_partitioning = true);
