"""What NYC's Taxi & Limousine Commission publishes: the zone table and the monthly trip files."""

from taxi_platform.defs.zones import DOMAIN
from taxi_platform.external_assets import external_asset

tlc_zone_table = external_asset(
    DOMAIN,
    ["tlc", "zone_table"],
    group_name="zones",
    kinds={"csv"},
    description="TLC's taxi zone lookup table (`TAXI_ZONES_URL`; locally the copy shipped in "
    "`taxi_platform/data/`, with its source).",
)
tlc_trip_files = external_asset(
    DOMAIN,
    ["tlc", "yellow_trip_files"],
    group_name="zones",
    kinds={"parquet"},
    description="TLC's monthly Yellow Taxi trip files, copied into the lake under "
    "`raw/nyc_taxi/` (the arrival sensor watches there).",
)
