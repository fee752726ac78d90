"""The code location: every domain's definitions plus the resources of the chosen environment.

`dagster dev`, `dg dev`, `dagster asset materialize -m taxi_platform.definitions` and the
tests all load this module. Importing it reads the environment switch and which variables
are set, never a secret's value (resources receive `dg.EnvVar`s).
"""

import dagster as dg

import taxi_platform.counters.definitions as counters
import taxi_platform.gold.definitions as gold
import taxi_platform.logs.definitions as logs
import taxi_platform.zones.definitions as zones
from taxi_platform.resources.wiring import build_resources

# Steps run in processes forked from a server that has already imported the code location,
# so a step starts in well under a second instead of re-importing Dagster and the domains.
STEP_EXECUTOR = dg.multiprocess_executor.configured({"start_method": {"forkserver": {}}})

DOMAINS = [zones, counters, logs, gold]

defs = dg.Definitions.merge(
    *(domain.defs for domain in DOMAINS),
    dg.Definitions(resources=build_resources(), executor=STEP_EXECUTOR),
)
