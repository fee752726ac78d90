"""The compose stack's Dagster services in podman, launching a run in a container of its own.

The code server, webserver and daemon run the Dagster image with infra/compose.yaml's
commands, environment names and storage volume; the daemon's instance is infra/dagster/
dagster.yaml plus run_launcher.docker.yaml, and its Docker engine is podman's Docker-compatible
API (`podman system service`) on a socket mounted where compose mounts the host's. A run of
`taxi_zones_job` submitted through the webserver's GraphQL API is dequeued by the daemon, whose
DockerRunLauncher creates the run's container through that socket; the test then finds that
container in podman, exited 0, and the zone table it loaded equal to the CSV read here.

What differs from compose, and why: the session's embedded stack (PostgreSQL, moto) stands in
for compose's `local-services`, whose public images cannot be pulled here; it listens on
127.0.0.1, so every container, the run's too (the launcher's `network`), uses the host's network,
with free ports instead of compose's fixed ones and 127.0.0.1 instead of service names.

Not in the default run (marker `image`): the Dagster image is built with infra/images/build.sh
on the debootstrap base, or TAXI_IMAGE names one.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from dagster import DagsterInstance, DagsterRunStatus
from dagster_docker.docker_run_launcher import DOCKER_CONTAINER_ID_TAG
from dagster_graphql import DagsterGraphQLClient

from taxi_platform.defs.zones.jobs import taxi_zones_job
from taxi_platform.defs.zones.taxi_zones import taxi_zones
from taxi_platform.settings import INFRA_DIR, REPO_ROOT, zones_csv_default
from taxi_platform_dev.local.processes import free_port
from taxi_platform_tests.podman_images import PODMAN_ENV, build_image, podman
from taxi_platform_tests.support import BIN
from taxi_platform_tests.zones.test_taxi_zones import assert_loaded_from

pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]

COMPOSE = yaml.safe_load((INFRA_DIR / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
DAGSTER = INFRA_DIR / "dagster"
APP_DIR = Path("/opt/taxi_platform")  # the repository's place in the image
DAGSTER_HOME = Path("/opt/dagster/dagster_home")  # the image's
JOB = taxi_zones_job.name
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@pytest.fixture(scope="module")
def dagster_image() -> str:
    return build_image("TAXI_IMAGE", "taxi-platform-dagster:test")


def wait_for(what: str, ready, timeout: float, logs) -> None:
    """Poll `ready()` until true; past `timeout` fail with `logs()` (a container's output)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what} not ready after {timeout:.0f} s:\n{logs()}"
        time.sleep(2)


@pytest.fixture
def engine_socket(tmp_path):
    """podman's Docker-compatible API, serving the project's containers.conf, on a socket of its
    own. Mode 0660 as the Docker engine's socket: its owner and its group may use it."""
    socket = tmp_path / "engine" / "podman.sock"
    socket.parent.mkdir()
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        env=PODMAN_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for("podman system service", socket.exists, 60, lambda: service.stderr.read())
        socket.chmod(0o660)
        yield socket
    finally:
        service.terminate()
        service.wait(timeout=60)


def launcher_config(project: str, image: str) -> dict:
    """run_launcher.docker.yaml with this test's image, compose project name (for the
    storage volume) and the host's network in place of compose's."""
    launcher = yaml.safe_load((DAGSTER / "run_launcher.docker.yaml").read_text())
    config = launcher["run_launcher"]["config"]
    assert config["network"] == f"{COMPOSE['name']}_default"
    config["image"] = image
    config["network"] = "host"
    volumes = config["container_kwargs"]["volumes"]
    config["container_kwargs"]["volumes"] = [
        v.replace(f"{COMPOSE['name']}_", f"{project}_", 1) for v in volumes
    ]
    return launcher


def platform_values(stack_env: dict[str, str]) -> dict[str, str]:
    """The value of every variable compose passes the Dagster services: the stack's, the zone
    table shipped in the image, and empty for the rest (compose's `${NAME:-}`)."""
    names = {n for s in ("dagster-code", "dagster-daemon") for n in SERVICES[s]["environment"]}
    zones = APP_DIR / Path(zones_csv_default()).relative_to(REPO_ROOT)
    values = {name: stack_env.get(name, "") for name in names}
    return values | {"TAXI_ZONES_URL": str(zones)}


def service_command(service: str, ports: dict[str, str]) -> list[str]:
    """The compose service's command on the host's network: loopback, this test's ports."""
    command = [str(arg) for arg in SERVICES[service]["command"]]
    return [ports.get(arg, "127.0.0.1" if arg == "0.0.0.0" else arg) for arg in command]


@pytest.fixture
def dagster_services(dagster_image, engine_socket, stack_env, tmp_path):
    """(webserver port, instance folder on the host, project name): code server, webserver and
    daemon containers, removed with every run container and the storage volume on exit."""
    project = f"taxi-launcher-{uuid.uuid4().hex[:6]}"
    grpc_port, web_port = str(free_port()), str(free_port())
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance_yaml = home / "dagster.yaml"
    launcher = yaml.safe_dump(launcher_config(project, dagster_image), sort_keys=False)
    instance_yaml.write_text((DAGSTER / "dagster.yaml").read_text() + launcher)
    workspace = yaml.safe_load((DAGSTER / "workspace.compose.yaml").read_text())
    [location] = workspace["load_from"]
    location["grpc_server"] |= {"host": "127.0.0.1", "port": int(grpc_port)}
    workspace_yaml = tmp_path / "workspace.yaml"
    workspace_yaml.write_text(yaml.safe_dump(workspace))
    for path in (instance_yaml, workspace_yaml):
        path.chmod(0o644)  # the image's user `dagster` reads them
    [storage] = [v for v in SERVICES["dagster-daemon"]["volumes"] if v.startswith("dagster-")]
    volume = f"{project}_{storage}"  # NAME:PATH, as compose names a project's volume
    workspace_path = service_command("dagster-webserver", {})[-1]

    values = platform_values(stack_env)
    socket_group = str(engine_socket.stat().st_gid)

    def start(service: str, *extra: str) -> str:
        name = f"{project}-{service}"
        env = {name: values[name] for name in SERVICES[service]["environment"]}
        args = ["run", "-d", "--name", name, "--network", "host", "-v", volume]
        args += [arg for variable in env for arg in ("-e", variable)]
        command = service_command(service, {"4000": grpc_port, "3000": web_port})
        started = podman(*args, *extra, dagster_image, *command, env=env)
        assert started.returncode == 0, started.stderr
        return name

    def logs(name: str) -> str:
        result = podman("logs", "--tail", "60", name)
        return result.stdout + result.stderr

    def grpc_ready() -> bool:
        check = [str(BIN / "dagster"), "api", "grpc-health-check", "-p", grpc_port]
        return subprocess.run(check, capture_output=True).returncode == 0

    def webserver_ready() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{web_port}/server_info", timeout=5).ok
        except requests.RequestException:
            return False

    mounts = ["-v", f"{instance_yaml}:{DAGSTER_HOME / 'dagster.yaml'}:ro"]
    mounts += ["-v", f"{workspace_yaml}:{workspace_path}:ro"]
    try:
        code = start("dagster-code")
        wait_for("the code server", grpc_ready, 300, lambda: logs(code))
        web = start("dagster-webserver", *mounts)
        # As compose: the engine's socket where the Docker client looks, and its group.
        socket = ["-v", f"{engine_socket}:/var/run/docker.sock", "--group-add", socket_group]
        start("dagster-daemon", *mounts, *socket)
        wait_for("the webserver", webserver_ready, 300, lambda: logs(web))
        yield int(web_port), home, project
    finally:
        # The services and every run's container: all of them mount the storage volume.
        volume_name = volume.partition(":")[0]
        leftover = podman("ps", "-a", "-q", "--filter", f"volume={volume_name}").stdout.split()
        if leftover:
            podman("rm", "-f", "-t", "5", *leftover)
        podman("volume", "rm", "-f", volume_name)


def test_the_daemon_launches_a_run_in_a_container_of_its_own(
    dagster_services, dagster_image, stack_env, postgres_db, lake, monkeypatch
):
    web_port, home, project = dagster_services
    client = DagsterGraphQLClient("127.0.0.1", port_number=web_port)
    location = yaml.safe_load((DAGSTER / "workspace.compose.yaml").read_text())["load_from"]
    run_id = client.submit_job_execution(
        JOB, repository_location_name=location[0]["grpc_server"]["location_name"]
    )
    deadline = time.monotonic() + 900
    while (status := client.get_run_status(run_id)) not in FINISHED:
        assert time.monotonic() < deadline, f"run {run_id} still {status} after 15 minutes"
        time.sleep(3)

    monkeypatch.setenv("DAGSTER_PG_URL", stack_env["DAGSTER_PG_URL"])
    with DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        container_id = run.tags.get(DOCKER_CONTAINER_ID_TAG)
        materialization = instance.get_latest_materialization_event(taxi_zones.key)
    daemon_logs = podman("logs", "--tail", "80", f"{project}-dagster-daemon")
    assert container_id, f"no {DOCKER_CONTAINER_ID_TAG} tag on {run.tags}:\n{daemon_logs.stderr}"
    run_logs = podman("logs", "--tail", "80", container_id)
    assert status == DagsterRunStatus.SUCCESS, run_logs.stdout + run_logs.stderr

    # The run's container, created by the launcher through podman's API: labelled with the run,
    # from the image, on the host's network, exited 0 (the run worker exits after it reports
    # the run's end), and the only one of that run.
    def inspect() -> dict:
        [container] = json.loads(podman("container", "inspect", container_id).stdout)
        return container

    def exited() -> bool:
        return inspect()["State"]["Status"] != "running"

    wait_for("the run's exit", exited, 120, lambda: podman("logs", container_id).stderr[-3000:])
    container = inspect()
    assert container["Config"]["Labels"]["dagster/run_id"] == run_id
    assert container["Config"]["Labels"]["dagster/job_name"] == JOB
    assert container["ImageName"].endswith(dagster_image.split("/")[-1])
    assert container["HostConfig"]["NetworkMode"] == "host"
    assert (container["State"]["Status"], container["State"]["ExitCode"]) == ("exited", 0)
    assert container["Name"] not in {f"{project}-{s}" for s in SERVICES}
    of_run = ["ps", "-a", "-q", "--no-trunc", "--filter", f"label=dagster/run_id={run_id}"]
    assert podman(*of_run).stdout.split() == [container_id]
    assert materialization is not None and materialization.run_id == run_id

    # What it wrote: the zone table shipped with the code, in PostgreSQL and the lake ...
    rows = assert_loaded_from(Path(zones_csv_default()), postgres_db, lake)
    # ... by the asset's code running in that container (its log line is the container's).
    logs = podman("logs", container_id)
    assert f"loaded {rows} zones into postgres.taxi_zones" in logs.stdout + logs.stderr
