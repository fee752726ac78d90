"""The code location: every domain folder under `defs/`, plus the resources of the chosen
environment and the executor.

`dagster dev`, `dg dev`, `dagster asset materialize -m taxi_platform.definitions` and the
tests all load this module. Domains are discovered from `taxi_platform/defs/<domain>/`
(Dagster's `load_from_defs_folder`): a new domain is a new folder, with nothing to register.
Importing it reads the environment switch and which variables are set, never a secret's
value (resources receive `dg.EnvVar`s).
"""

import os
import warnings
from pathlib import Path

import dagster as dg

from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import REPO_ROOT, check_settings

# Every catalogue variable is checked before anything uses it: a bad value stops the load
# with one line per variable naming it and the fix.
check_settings()

# Steps run one after another inside the run's own process, which has already imported the
# code location: a step starts in milliseconds. The forkserver executor used before paid 3-4 s
# per step to start a worker and 2-4 s more to import the code location again, for steps whose
# own work is 0.1-0.3 s: one `daily_zone_stats` partition took 24.8 s from the shell against
# 6.6 s in process, and 13.4 s with the code location preloaded into the forkserver (issue 15;
# today's figures: bench/bench_shell_partition.py). Nothing is lost: the heavy steps run
# outside the run's process anyway (Spark through spark-submit and Pipes), PostgreSQL work is
# I/O, 2-core machines gain little from parallel light steps, and the instance's pools
# (`spark`) still bound steps across runs. What changes: a step that kills the process (out of
# memory) ends its whole run, which the instance's run_retries then re-runs.
STEP_EXECUTOR = dg.in_process_executor


def with_code_references(defs: dg.Definitions) -> dg.Definitions:
    """Every asset links to the code that defines it: the local file, or the file in the git
    repository at `TAXI_GIT_URL` (branch `TAXI_GIT_BRANCH`) when that is set, so the UI of a
    deployment opens the source users can read."""
    with warnings.catch_warnings():
        # Code references are a beta API in Dagster 1.13, chosen deliberately: say it once
        # here, not in every CLI command's output.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _with_code_references(defs)


def _with_code_references(defs: dg.Definitions) -> dg.Definitions:
    assets = dg.with_source_code_references(list(defs.assets or []))
    git_url = os.environ.get("TAXI_GIT_URL")
    if git_url:
        assets = dg.link_code_references_to_git(
            assets,
            git_url=git_url,
            git_branch=os.environ.get("TAXI_GIT_BRANCH") or "main",
            file_path_mapping=dg.AnchorBasedFilePathMapping(
                local_file_anchor=REPO_ROOT, file_anchor_path_in_repository=""
            ),
        )
    return dg.Definitions(
        assets=assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
    )


defs = dg.Definitions.merge(
    with_code_references(dg.load_from_defs_folder(path_within_project=Path(__file__).parent)),
    dg.Definitions(resources=build_resources(), executor=STEP_EXECUTOR),
)
