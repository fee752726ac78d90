#!/bin/sh
# The superset service of infra/compose.yaml: migrate the metadata database (SQLite in the
# superset-home volume), create `admin` on the first start, import the bundle that the
# superset-bundle service built for TAXI_BI_READER_URL, then serve on 8088 as the image does.
set -eu
: "${SUPERSET_ADMIN_PASSWORD:?set SUPERSET_ADMIN_PASSWORD in the env file}"
superset db upgrade
superset fab create-admin --username admin --firstname Taxi --lastname Admin \
    --email admin@taxi-platform.invalid --password "$SUPERSET_ADMIN_PASSWORD"
superset init
superset import-dashboards --path /bundle/superset_bundle.zip --username admin
exec /usr/bin/run-server.sh
