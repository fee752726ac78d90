"""taxi_platform: the Dagster platform for the taxi company."""
