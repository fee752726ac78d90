"""The shell entry points users and CI run, against the session stack."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from taxi_platform.settings import REPO_ROOT

BIN = Path(sys.executable).parent
# Both CLIs users run: `dagster` (CI, scripts) and `dg`, which Dagster 1.13 puts first; `dg`
# finds the code location from pyproject.toml's [tool.dg], so it runs from the repository root.
SHELL_MATERIALIZE = {
    "dagster": [
        *(str(BIN / "dagster"), "asset", "materialize"),
        *("-m", "taxi_platform.definitions", "--select", "taxi_zones"),
    ],
    "dg": [str(BIN / "dg"), "launch", "--assets", "taxi_zones"],
}


@pytest.mark.parametrize("cli", sorted(SHELL_MATERIALIZE))
def test_materialize_from_the_shell(cli, stack_env, postgres_db):
    postgres_db.execute("DELETE FROM taxi_zones")
    env = {**os.environ, **stack_env}
    result = subprocess.run(
        SHELL_MATERIALIZE[cli], capture_output=True, text=True, env=env, cwd=REPO_ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RUN_SUCCESS" in result.stderr
    assert postgres_db.count_rows("taxi_zones") == 265


def test_dg_check_defs_loads_the_code_location():
    result = subprocess.run(
        [str(BIN / "dg"), "check", "defs"], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "All definitions loaded successfully" in result.stdout + result.stderr
