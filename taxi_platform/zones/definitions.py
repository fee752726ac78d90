"""Everything the zones domain contributes to the code location."""

import dagster as dg

from taxi_platform.zones.taxi_zones import taxi_zones, taxi_zones_match_lake

defs = dg.Definitions(assets=[taxi_zones], asset_checks=[taxi_zones_match_lake])
