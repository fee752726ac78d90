"""The click-log domain downstream of bronze: Silver `click_events` (typed daily click events
in the lake) and the Gold marts Superset reads from database `gold`."""

from taxi_platform.catalog import Domain

DOMAIN = Domain("clicks", owners=("team:web-analytics",))
