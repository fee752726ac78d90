"""Named jobs of the zones assets that automation or a person runs (the arrival sensor's
`taxi_trips_job` sits beside it): runs named for what they build in the UI's run list, and
what `taxi-platform demo` launches."""

import dagster as dg

from taxi_platform.defs.zones import taxi_zones, zone_models

taxi_zones_job = dg.define_asset_job(
    "taxi_zones_job",
    selection=[taxi_zones.taxi_zones],
    description="Copies TLC's zone table to the lake and loads `taxi_zones`.",
)
zone_models_job = dg.define_asset_job(
    "zone_models_job",
    selection=[zone_models.zone_models],
    description="The zone models (TAXI_ENGINE): `expected_pickups` and `adjacent_zones`.",
)
