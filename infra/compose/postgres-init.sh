#!/usr/bin/env bash
# Creates the roles and databases of infra/postgres/roles.sql in the `postgres` service of
# infra/compose.yaml (profile local-services). The official image runs it once, when it
# initialises an empty data volume (/docker-entrypoint-initdb.d/).
#
# Why psql's \getenv: the passwords reach psql from this container's environment (the
# PG_*_PASSWORD variables of the env file), never from a file or a command line, so they show
# neither in the repository nor in `ps`. roles.sql is idempotent: after changing a password in
# the env file, `up -d postgres` (new environment) and re-run this script to apply it:
#   docker compose -f infra/compose.yaml --env-file infra/compose.env --profile local-services \
#     exec postgres bash /docker-entrypoint-initdb.d/10-taxi-roles.sh
#
# The image may source this file instead of running it: no `set`, no `exit`.
: "${PG_SPARK_WRITER_PASSWORD:?is not set: add it to the env file (infra/compose.env.example)}"
: "${PG_STATS_WRITER_PASSWORD:?is not set: add it to the env file (infra/compose.env.example)}"
: "${PG_GOLD_WRITER_PASSWORD:?is not set: add it to the env file (infra/compose.env.example)}"
: "${PG_BI_READER_PASSWORD:?is not set: add it to the env file (infra/compose.env.example)}"
: "${PG_DAGSTER_PASSWORD:?is not set: add it to the env file (infra/compose.env.example)}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
\getenv spark_writer_password PG_SPARK_WRITER_PASSWORD
\getenv stats_writer_password PG_STATS_WRITER_PASSWORD
\getenv gold_writer_password PG_GOLD_WRITER_PASSWORD
\getenv bi_reader_password PG_BI_READER_PASSWORD
\getenv dagster_password PG_DAGSTER_PASSWORD
\i /opt/taxi_platform/infra/postgres/roles.sql
SQL
