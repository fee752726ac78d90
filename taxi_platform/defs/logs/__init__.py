"""The log pipeline (the old log ETL): click events from the Fernet log API to the bronze lake."""

from taxi_platform.catalog import Domain

DOMAIN = Domain("logs", owners=("team:web-analytics",))
