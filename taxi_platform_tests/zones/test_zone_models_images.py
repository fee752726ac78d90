"""The production images, run together as compose runs them: a master and two workers from
spark/Dockerfile and the Dagster image as the driver (client mode), all with podman on the
host's network against the session's stack. `dagster asset materialize` in the Dagster image
publishes `expected_pickups` and `adjacent_zones` over s3a, equal to the pandas oracle.

Not in the default run (marker `image`): both images are built with infra/images/build.sh on
the debootstrap base (their Maven stages fetch spark/pom.xml's jars). TAXI_IMAGE / TAXI_SPARK_IMAGE
name images to test instead of building them.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import requests

from taxi_platform.defs.zones.zone_models import zone_models
from taxi_platform.settings import REPO_ROOT
from taxi_platform_dev.local.processes import free_port
from taxi_platform_tests.podman_images import build_image, podman
from taxi_platform_tests.zones.conftest import MODEL_MONTHS, published_tables
from taxi_platform_tests.zones.reference_models import reference_models
from taxi_platform_tests.zones.test_zone_models import assert_equal_to_reference

pytestmark = [pytest.mark.image, pytest.mark.timeout(2400)]

# What the executors need from the environment: credentials and region (the endpoint and the
# committer come from the driver's settings).
EXECUTOR_VARIABLES = ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@pytest.fixture(scope="module")
def spark_image() -> str:
    spark = REPO_ROOT / "spark"
    return build_image(
        "TAXI_SPARK_IMAGE", "taxi-platform-spark:test", str(spark / "Dockerfile"), str(spark)
    )


@pytest.fixture(scope="module")
def dagster_image() -> str:
    return build_image("TAXI_IMAGE", "taxi-platform-dagster:test")


@pytest.fixture
def image_cluster(spark_image, stack_env, tmp_path):
    """(master URL, master JSON status URL, worker names) of containers; removed on exit.

    On the host's network every executor is 127.0.0.1, so Spark reads a shuffle block of the
    "same host" from its disk: the workers share one scratch folder, as processes of one
    machine would (compose gives each worker a host name of its own instead)."""
    port, ui = free_port(), free_port()
    prefix = f"taxi-spark-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-master", f"{prefix}-worker1", f"{prefix}-worker2"]
    env = {name: stack_env[name] for name in EXECUTOR_VARIABLES}
    scratch = tmp_path / "spark-local"
    scratch.mkdir()
    scratch.chmod(0o1777)  # the image's user `spark`
    base = ["run", "-d", "--rm", "--network", "host", "-e", "SPARK_LOCAL_IP=127.0.0.1"]
    base += ["-v", f"{scratch}:/opt/spark-local", "-e", "SPARK_LOCAL_DIRS=/opt/spark-local"]
    base += [arg for name in env for arg in ("-e", name)]
    master = f"spark://127.0.0.1:{port}"
    try:
        started = podman(
            *base, "--name", names[0], spark_image,
            *("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"),
            *("--port", str(port), "--webui-port", str(ui)),
            env=env,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        for name in names[1:]:
            started = podman(
                *base, "--name", name, spark_image,
                *("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1"),
                *("--cores", "1", "--memory", "1g", "--webui-port", str(free_port()), master),
                env=env,
            )  # fmt: skip
            assert started.returncode == 0, started.stderr
        status = f"http://127.0.0.1:{ui}/json/"
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(status, timeout=5).json()["aliveworkers"] == 2:
                    break
            except (requests.RequestException, ValueError, KeyError):
                pass
            assert time.monotonic() < deadline, podman("logs", names[0]).stdout[-3000:]
            time.sleep(1)
        yield master, status, names[1:]
    finally:
        for name in names:
            podman("rm", "-f", "-t", "5", name)


def test_the_images_materialize_the_zone_models_over_s3a(
    dagster_image, image_cluster, stack_env, postgres_db, model_months_in_lake
):
    master, status, workers = image_cluster
    options = podman("exec", workers[0], "sh", "-c", "echo $SPARK_WORKER_OPTS").stdout
    assert "-Dspark.worker.cleanup.enabled=true" in options  # worker cleanup on

    env = {k: v for k, v in stack_env.items() if k not in ("DAGSTER_HOME", "TAXI_ZONES_URL")}
    env |= {"TAXI_ENGINE": "spark", "TAXI_SPARK_MASTER": master, "TAXI_SPARK_INPUT_MODE": "s3a"}
    config = {"ops": {zone_models.op.name: {"config": {"months": sorted(MODEL_MONTHS)}}}}
    command = [
        *("dagster", "asset", "materialize", "-m", "taxi_platform.definitions"),
        *("--select", "taxi_zones,expected_pickups,adjacent_zones"),
        *("--config-json", json.dumps(config)),
    ]
    args = ["run", "--rm", "--network", "host"]
    args += [arg for name in env for arg in ("-e", name)]
    result = podman(*args, dagster_image, *command, env=env)
    causes = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if re.search(r"(Exception|Error|Caused by)\b", line) and "\tat " not in line
    ]
    assert result.returncode == 0, "\n".join(causes[:40]) + result.stderr[-3000:]

    apps = requests.get(status, timeout=5).json()["completedapps"]
    assert [(a["name"], a["cores"]) for a in apps] == [("taxi_platform:sql_model.py", 2)]
    assert_equal_to_reference(published_tables(postgres_db), reference_models(model_months_in_lake))
