"""Zones domain: the TLC zone table and the Spark zone models built on NYC taxi trips."""

from taxi_platform.catalog import Domain

DOMAIN = Domain("zones", owners=("team:zone-models",))
