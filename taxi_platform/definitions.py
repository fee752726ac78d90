"""The code location: every domain's definitions plus the resources of the chosen environment.

`dagster dev`, `dg dev`, `dagster asset materialize -m taxi_platform.definitions` and the
tests all load this module. Importing it reads the environment switch and which variables
are set, never a secret's value (resources receive `dg.EnvVar`s).
"""

import dagster as dg

import taxi_platform.zones.definitions as zones
from taxi_platform.resources.wiring import build_resources

DOMAINS = [zones]

defs = dg.Definitions.merge(
    *(domain.defs for domain in DOMAINS),
    dg.Definitions(resources=build_resources()),
)
