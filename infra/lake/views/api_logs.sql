-- table: api_logs
-- source: logs/
-- decoded: user_id, method, indate
-- Bronze `api_logs`: one row per record of the hourly objects
-- logs/YYYY/MM/DD/HH/api_logs.jsonl.gz (gzip JSON lines, taxi_platform/defs/logs/codec.py),
-- decoded back to the values the log API served: user_id 64 hex (stored as two b64uuids),
-- method GET/POST (stored as 1/2), indate ISO-8601 in the user's offset (stored as digits).
-- Duplicates are kept (Silver click_events drops them). Partition: hour = 'YYYY/MM/DD/HH' (UTC),
-- the object's folder, as Athena's projection names it. Athena's table (the same names) holds
-- the three decoded columns as stored.
CREATE OR REPLACE VIEW api_logs AS
SELECT
    lower(hex(from_base64(replace(replace(substr(user_id, 1, 22), '-', '+'), '_', '/') || '==')))
        || lower(hex(from_base64(replace(replace(substr(user_id, 23, 22), '-', '+'), '_', '/') || '==')))
        AS user_id,
    session_id,
    CASE method WHEN 1 THEN 'GET' WHEN 2 THEN 'POST' END AS method,
    url,
    substr(indate, 1, 4) || '-' || substr(indate, 5, 2) || '-' || substr(indate, 7, 2)
        || 'T' || substr(indate, 9, 2) || ':' || substr(indate, 11, 2) || ':' || substr(indate, 13, 2)
        || '.' || substr(indate, 15, 6) || substr(indate, 21, 3) || ':' || substr(indate, 24, 2)
        AS indate,
    query,
    clinical_area,
    document_id,
    title,
    regexp_extract(filename, 'logs/(\d{4}/\d{2}/\d{2}/\d{2})/api_logs\.jsonl\.gz$', 1) AS hour
FROM read_json(
    '{lake}/logs/*/*/*/*/api_logs.jsonl.gz',
    format = 'newline_delimited',
    compression = 'gzip',
    filename = true,
    columns = {
        user_id: 'VARCHAR', session_id: 'VARCHAR', method: 'INTEGER', url: 'VARCHAR',
        "inDate": 'VARCHAR', query: 'VARCHAR', clinical_area: 'VARCHAR', document_id: 'BIGINT',
        title: 'VARCHAR'
    }
);
