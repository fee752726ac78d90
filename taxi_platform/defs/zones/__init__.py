"""Zones domain: the TLC zone table and the zone models (SQL, DuckDB or Spark) on TLC trips."""

from taxi_platform.catalog import Domain

DOMAIN = Domain("zones", owners=("team:zone-models",))
