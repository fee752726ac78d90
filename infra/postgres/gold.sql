-- Database `gold`: the BI marts of the old Gold layer, columns and keys exactly as there, and
-- mart_hourly_traffic (the day's rhythm in the business time zone). Owner: gold_writer.
CREATE TABLE IF NOT EXISTS mart_session_analysis (
    session_id           text NOT NULL,
    event_date           date NOT NULL,
    click_count          integer NOT NULL,
    unique_docs          integer NOT NULL,
    first_click_ts       timestamptz NOT NULL,
    last_click_ts        timestamptz NOT NULL,
    session_duration_sec double precision NOT NULL,
    PRIMARY KEY (session_id, event_date)
);
CREATE INDEX IF NOT EXISTS mart_session_analysis_event_date ON mart_session_analysis (event_date);

CREATE TABLE IF NOT EXISTS mart_daily_traffic (
    event_date       date PRIMARY KEY,
    total_events     integer NOT NULL,
    unique_sessions  integer NOT NULL,
    unique_documents integer NOT NULL,
    peak_hour        smallint NOT NULL CHECK (peak_hour BETWEEN 0 AND 23) -- hour of day in TAXI_TIMEZONE
);

CREATE TABLE IF NOT EXISTS mart_clinical_areas (
    event_date      date NOT NULL,
    clinical_area   text NOT NULL,
    search_count    integer NOT NULL,
    unique_sessions integer NOT NULL,
    PRIMARY KEY (event_date, clinical_area)
);
CREATE INDEX IF NOT EXISTS mart_clinical_areas_event_date ON mart_clinical_areas (event_date);

CREATE TABLE IF NOT EXISTS mart_popular_documents (
    event_date      date NOT NULL,
    document_id     bigint NOT NULL,
    title           text,
    view_count      integer NOT NULL,
    unique_sessions integer NOT NULL,
    PRIMARY KEY (event_date, document_id)
);
CREATE INDEX IF NOT EXISTS mart_popular_documents_event_date ON mart_popular_documents (event_date);

CREATE TABLE IF NOT EXISTS mart_hourly_traffic (
    event_date date NOT NULL,
    local_date date NOT NULL,                                           -- in TAXI_TIMEZONE
    local_hour smallint NOT NULL CHECK (local_hour BETWEEN 0 AND 23),  -- in TAXI_TIMEZONE
    events     integer NOT NULL,
    PRIMARY KEY (event_date, local_date, local_hour)
);
