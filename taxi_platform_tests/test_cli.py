"""The shell entry points users and CI run, against the session stack."""

import os
import subprocess
import sys


def test_dagster_asset_materialize_from_the_shell(stack_env, postgres_db):
    postgres_db.execute("DELETE FROM taxi_zones")
    env = {**os.environ, **stack_env}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "dagster", "asset", "materialize"),
            *("-m", "taxi_platform.definitions", "--select", "taxi_zones"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RUN_SUCCESS" in result.stderr
    assert postgres_db.count_rows("taxi_zones") == 265
