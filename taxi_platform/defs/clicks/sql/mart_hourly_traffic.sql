-- Per UTC day, and date and hour of day in the business time zone ${time_zone}: events.
-- What a day's rhythm is read from (Superset's traffic heatmap): a local day's hour sums its
-- rows over the UTC days it spans. Stored timestamps stay UTC; only the day and hour a person
-- reads are local.
SELECT
    event_date,
    CAST(event_ts AT TIME ZONE ${time_zone} AS DATE) AS local_date,
    CAST(hour(event_ts AT TIME ZONE ${time_zone}) AS SMALLINT) AS local_hour,
    count(*) AS events
FROM events
GROUP BY
    event_date,
    CAST(event_ts AT TIME ZONE ${time_zone} AS DATE),
    CAST(hour(event_ts AT TIME ZONE ${time_zone}) AS SMALLINT)
