"""The compose instance's run launcher (infra/dagster/run_launcher.docker.yaml, appended to
dagster.yaml in the image): Dagster loads it as a DockerRunLauncher on compose's network and
image, passing each run exactly the variables compose gives the daemon. The launcher starting
a run's container for real, through podman's Docker-compatible API, is
test_run_launcher_podman.py (marker `image`)."""

import yaml
from dagster import DagsterInstance
from dagster_docker import DockerRunLauncher

from taxi_platform.settings import INFRA_DIR

COMPOSE = yaml.safe_load((INFRA_DIR / "compose.yaml").read_text())
DAGSTER = INFRA_DIR / "dagster"


def test_the_instance_loads_a_docker_run_launcher_matching_compose(
    stack_env, tmp_path, monkeypatch
):
    (tmp_path / "dagster.yaml").write_text(
        (DAGSTER / "dagster.yaml").read_text() + (DAGSTER / "run_launcher.docker.yaml").read_text()
    )
    monkeypatch.setenv("DAGSTER_PG_URL", stack_env["DAGSTER_PG_URL"])
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, DockerRunLauncher)
        daemon = COMPOSE["services"]["dagster-daemon"]
        assert sorted(launcher.env_vars) == sorted(daemon["environment"])  # resolved `<<` merges
        assert launcher.image == COMPOSE["services"]["dagster-code"]["image"]
        assert launcher.networks == [f"{COMPOSE['name']}_default"]  # compose's default network
        [volume] = launcher.container_kwargs["volumes"]
        storage = next(v for v in daemon["volumes"] if v.startswith("dagster-storage:"))
        assert volume == f"{COMPOSE['name']}_{storage}"  # the named volume, as compose names it
