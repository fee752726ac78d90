"""The code location: every domain folder under `defs/`, plus the resources of the chosen
environment and the executor.

`dagster dev`, `dg dev`, `dagster asset materialize -m taxi_platform.definitions` and the
tests all load this module. Domains are discovered from `taxi_platform/defs/<domain>/`
(Dagster's `load_from_defs_folder`): a new domain is a new folder, with nothing to register.
Importing it reads the environment switch and which variables are set, never a secret's
value (resources receive `dg.EnvVar`s).
"""

from pathlib import Path

import dagster as dg

from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import check_settings

# Every catalogue variable is checked before anything uses it: a bad value stops the load
# with one line per variable naming it and the fix.
check_settings()

# Steps run in processes forked from a server that has already imported Dagster, so a step
# does not pay for a fresh interpreter.
STEP_EXECUTOR = dg.multiprocess_executor.configured({"start_method": {"forkserver": {}}})


defs = dg.Definitions.merge(
    dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
    dg.Definitions(resources=build_resources(), executor=STEP_EXECUTOR),
)
