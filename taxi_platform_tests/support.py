"""What the tests of every domain share: quiet runs, reading a run's checks and metadata, and
the shell command users and CI run to materialize (`dagster asset materialize`).

Assets are named by their definitions (or keys), never by repeated strings, so a renamed asset
breaks at import rather than as a selection that silently matches nothing.
"""

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from taxi_platform.settings import REPO_ROOT

# The counters' business day and the schedules' default timezone (`TAXI_TIMEZONE` unset).
SEOUL = ZoneInfo("Asia/Seoul")
# Run config that keeps in-process runs from printing every event to the test output.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
# The console scripts of this virtualenv, whatever PATH the test runs with.
BIN = Path(sys.executable).parent

Asset = dg.AssetsDefinition | dg.AssetKey


def keys_of(*assets: Asset) -> list[dg.AssetKey]:
    """Every key the definitions produce (all of a multi-asset's, sorted)."""
    keys: list[dg.AssetKey] = []
    for asset in assets:
        keys.extend([asset] if isinstance(asset, dg.AssetKey) else sorted(asset.keys))
    return keys


def selection(*assets: Asset) -> str:
    """The `--select` argument of the Dagster CLI for these assets."""
    return ",".join(key.to_user_string() for key in keys_of(*assets))


def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The run's check evaluations by check name."""
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def materializations(result: dg.ExecuteInProcessResult, asset: Asset) -> list[dict[str, Any]]:
    """The metadata values of each materialization of `asset` in the run, in run order, with
    its partition under `"partition"` (None when unpartitioned)."""
    wanted = set(keys_of(asset))
    return [
        {k: v.value for k, v in m.metadata.items()} | {"partition": m.partition}
        for m in (
            e.step_materialization_data.materialization
            for e in result.get_asset_materialization_events()
        )
        if m.asset_key in wanted
    ]


def metadata(result: dg.ExecuteInProcessResult, asset: Asset) -> dict[str, Any]:
    """The metadata values of the last materialization of `asset` in the run."""
    found = materializations(result, asset)
    assert found, f"{selection(asset)} was not materialized"
    return found[-1]


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The text of the failed steps' errors (message and cause chain)."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                texts.append(error.message)
                error = error.cause
    return "\n".join(texts)


def materialize_command(*assets: Asset, partition: str | None = None) -> list[str]:
    """`dagster asset materialize` of the code location, as a user types it."""
    command = [str(BIN / "dagster"), "asset", "materialize", "-m", "taxi_platform.definitions"]
    command += ["--select", selection(*assets)]
    return command + (["--partition", partition] if partition else [])


def assert_run_succeeded(returncode: int, output: str) -> None:
    """A shell run succeeded: exit status 0 and Dagster's own RUN_SUCCESS event."""
    assert returncode == 0, output[-3000:]
    assert "RUN_SUCCESS" in output, output[-3000:]


def shell_materialize(
    *assets: Asset, env: Mapping[str, str], partition: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run `materialize_command` from the repository root with `env`; assert it succeeded."""
    result = subprocess.run(
        materialize_command(*assets, partition=partition),
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=REPO_ROOT,
        timeout=timeout,
    )
    assert_run_succeeded(result.returncode, result.stderr)
    return result
