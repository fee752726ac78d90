"""The counters pipeline: DynamoDB live counters → daily and hourly stats, replacing the
old stats scripts and Grafana collector."""

from taxi_platform.catalog import Domain

DOMAIN = Domain("counters", owners=("team:dispatch-data",))
