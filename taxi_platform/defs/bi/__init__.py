"""The dashboards that read the platform's tables: Grafana over the counters and zone models,
Superset over the Gold marts. External assets only, so lineage ends where people read."""

from taxi_platform.catalog import Domain

DOMAIN = Domain("bi", owners=("team:analytics",))
