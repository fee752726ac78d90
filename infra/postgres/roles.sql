-- Databases and roles: one writer role per database, one read-only bi_reader.
-- Run as a superuser (or the RDS master user, after `GRANT spark_writer, stats_writer,
-- gold_writer TO <master>`) with psql variables holding the passwords, e.g.
--   psql "$ADMIN_URL" -v spark_writer_password=… -v stats_writer_password=… \
--        -v gold_writer_password=… -v bi_reader_password=… -v dagster_password=… -f roles.sql
-- (the embedded stack feeds the variables on stdin so no password shows in `ps`).
-- Idempotent: re-running it only resets the passwords.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', r)
FROM unnest(ARRAY['spark_writer', 'stats_writer', 'gold_writer', 'bi_reader', 'dagster']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec

ALTER ROLE spark_writer PASSWORD :'spark_writer_password';
ALTER ROLE stats_writer PASSWORD :'stats_writer_password';
ALTER ROLE gold_writer PASSWORD :'gold_writer_password';
ALTER ROLE bi_reader PASSWORD :'bi_reader_password';
ALTER ROLE dagster PASSWORD :'dagster_password';
-- BI tools must never write, whatever a dashboard's SQL says.
ALTER ROLE bi_reader SET default_transaction_read_only = on;
-- Superset's SQL Lab is open to bi_reader: a runaway query is cancelled after 30 s and the
-- role cannot take more than 30 of the server's connections (Grafana's datasources pool at
-- most 9, Superset's engine 15), so a BI user cannot starve the pipelines' writers.
ALTER ROLE bi_reader SET statement_timeout = '30s';
ALTER ROLE bi_reader SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE bi_reader CONNECTION LIMIT 30;

SELECT 'CREATE DATABASE daily_stats_db OWNER stats_writer'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'daily_stats_db') \gexec
SELECT 'CREATE DATABASE gold OWNER gold_writer'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'gold') \gexec
SELECT 'CREATE DATABASE dagster OWNER dagster'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'dagster') \gexec

-- Access control by database (the old stats script): each writer reaches only its own database.
REVOKE CONNECT, TEMPORARY ON DATABASE postgres, daily_stats_db, gold, dagster FROM PUBLIC;
GRANT CONNECT ON DATABASE postgres TO spark_writer, bi_reader;
GRANT CONNECT ON DATABASE daily_stats_db TO stats_writer, bi_reader;
GRANT CONNECT ON DATABASE gold TO gold_writer, bi_reader;
GRANT CONNECT ON DATABASE dagster TO dagster;

\connect postgres
GRANT USAGE, CREATE ON SCHEMA public TO spark_writer;
GRANT USAGE ON SCHEMA public TO bi_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE spark_writer IN SCHEMA public GRANT SELECT ON TABLES TO bi_reader;

\connect daily_stats_db
GRANT USAGE ON SCHEMA public TO bi_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE stats_writer IN SCHEMA public GRANT SELECT ON TABLES TO bi_reader;

\connect gold
GRANT USAGE ON SCHEMA public TO bi_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE gold_writer IN SCHEMA public GRANT SELECT ON TABLES TO bi_reader;
