-- One Silver click_events object: the columns the marts use, of the run's UTC days.
SELECT event_ts, event_date, event_kind, session_id, clinical_area, document_id, title
FROM source_file
WHERE event_date >= ${start} AND event_date < ${end}
