"""Everything the zones domain contributes to the code location."""

import dagster as dg

from taxi_platform.zones.taxi_trips import taxi_trips, taxi_trips_arrivals
from taxi_platform.zones.taxi_zones import taxi_zones, taxi_zones_match_lake
from taxi_platform.zones.zone_models import MODEL_CHECKS, zone_models

defs = dg.Definitions(
    assets=[taxi_zones, taxi_trips, zone_models],
    asset_checks=[taxi_zones_match_lake, *MODEL_CHECKS],
    sensors=[taxi_trips_arrivals],
)
