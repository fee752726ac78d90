"""Grafana and Superset dashboards, provisioned from `infra/grafana/` and `infra/superset/`."""

from taxi_platform.defs.bi import DOMAIN
from taxi_platform.external_assets import external_asset

grafana_dashboards = external_asset(
    DOMAIN,
    ["bi", "grafana_dashboards"],
    group_name="bi",
    kinds={"grafana"},
    layer="bi",
    description="Grafana: Taxi live, Taxi weekly, Taxi zone recommendation, Taxi data freshness "
    "(`infra/grafana/dashboards/`), reading as `bi_reader`.",
    deps=[
        "zone_hourly_activity_log",
        "zone_diff_stats",
        "daily_zone_stats",
        "live_zone_counters",
        "live_counter_totals",
        "live_taxi_destinations",
        "expected_pickups",
        "adjacent_zones",
    ],
)
superset_dashboards = external_asset(
    DOMAIN,
    ["bi", "superset_dashboards"],
    group_name="bi",
    kinds={"superset"},
    layer="bi",
    description="Superset: daily traffic, clinical areas, session behaviour, popular documents "
    "(`infra/superset/bundle/`), reading the Gold marts as `bi_reader`.",
    deps=[
        "mart_session_analysis",
        "mart_daily_traffic",
        "mart_clinical_areas",
        "mart_popular_documents",
        "mart_hourly_traffic",
    ],
)
