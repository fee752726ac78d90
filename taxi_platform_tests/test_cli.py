"""The shell entry points users and CI run, against the session stack."""

import os
import subprocess

import pytest

from taxi_platform.defs.zones.taxi_zones import taxi_zones
from taxi_platform.settings import REPO_ROOT
from taxi_platform_tests.support import BIN, assert_run_succeeded, materialize_command, selection

# Both CLIs users run: `dagster` (CI, scripts) and `dg`, which Dagster 1.13 puts first; `dg`
# finds the code location from pyproject.toml's [tool.dg], so it runs from the repository root.
SHELL_MATERIALIZE = {
    "dagster": materialize_command(taxi_zones),
    "dg": [str(BIN / "dg"), "launch", "--assets", selection(taxi_zones)],
}
# The two ways to ask whether the code location loads, and what each says when it does.
VALIDATE = {
    "dg": ([str(BIN / "dg"), "check", "defs"], "All definitions loaded successfully"),
    "dagster": (
        [str(BIN / "dagster"), "definitions", "validate", "-m", "taxi_platform.definitions"],
        "All code locations passed validation",
    ),
}


@pytest.mark.parametrize("cli", sorted(SHELL_MATERIALIZE))
def test_materialize_from_the_shell(cli, stack_env, postgres_db):
    postgres_db.execute("DELETE FROM taxi_zones")
    env = {**os.environ, **stack_env}
    result = subprocess.run(
        SHELL_MATERIALIZE[cli], capture_output=True, text=True, env=env, cwd=REPO_ROOT
    )
    assert_run_succeeded(result.returncode, result.stderr)
    assert postgres_db.count_rows("taxi_zones") == 265


@pytest.mark.parametrize("cli", sorted(VALIDATE))
def test_the_code_location_validates_from_the_repository_root(cli):
    command, success = VALIDATE[cli]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert success in result.stdout + result.stderr
