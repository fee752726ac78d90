"""infra/compose.yaml agrees with the repository: files, variables, images, commands, ports.

Why static checks: no Docker engine runs here or in CI, so no test starts the compose stack.
What breaks such a file silently is drift from the rest of the tree (a moved file, a new
setting, a pyspark bump, a port published twice, a secret pasted into the example), and each
check below fails on one kind of drift, naming the file to change and how.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import re
import shlex
import tomllib
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from taxi_platform.settings import INFRA_DIR, REPO_ROOT, SETTINGS
from taxi_platform_dev.domains import tool_modules

COMPOSE_FILE = INFRA_DIR / "compose.yaml"
ENV_EXAMPLE = INFRA_DIR / "compose.env.example"
DAGSTER_DOCKERFILE = INFRA_DIR / "dagster" / "Dockerfile"
SPARK_DOCKERFILE = REPO_ROOT / "spark" / "Dockerfile"
SUPERSET_DIR = INFRA_DIR / "superset"
SUPERSET_DOCKERFILE = SUPERSET_DIR / "Dockerfile"
SUPERSET_ENV = REPO_ROOT / "tools" / "taxi_platform_dev" / "bi" / "superset_env.py"
WORKSPACE = INFRA_DIR / "dagster" / "workspace.compose.yaml"
DAGSTER_YAML = INFRA_DIR / "dagster" / "dagster.yaml"
INIT_SCRIPT = INFRA_DIR / "compose" / "postgres-init.sh"
ROLES_SQL = INFRA_DIR / "postgres" / "roles.sql"
GRAFANA_PROVISIONING = INFRA_DIR / "grafana" / "provisioning"
GRAFANA_LOCAL = REPO_ROOT / "tools" / "taxi_platform_dev" / "bi" / "grafana_local.py"
UV_LOCK = REPO_ROOT / "uv.lock"
PYPROJECT = REPO_ROOT / "pyproject.toml"

APP_DIR = "/opt/taxi_platform"  # the repository's place in the Dagster image
PROFILE = "local-services"
ALWAYS = {
    "dagster-code",
    "dagster-webserver",
    "dagster-daemon",
    "spark-master",
    "spark-worker-1",
    "spark-worker-2",
    "grafana",
    "superset-bundle",
    "superset",
}
LOCAL_SERVICES = {"postgres", "moto", "moto-init", "log-api"}
DAGSTER_SERVICES = {"dagster-code", "dagster-webserver", "dagster-daemon"}
CODE_SERVER = "dagster-code"
NOT_FOR_THE_CODE_SERVER = {
    "TAXI_BI_READER_URL": "only the BI commands and Superset read it; Grafana gets its parts",
    "TAXI_SPARK_JARS_DIR": "the image sets it (ENV): its jars come from a Maven build stage",
}
# Host files a service mounts that are the Docker host's, not the repository's.
HOST_SOCKETS = {"/var/run/docker.sock"}  # the daemon's DockerRunLauncher
IMAGE_PORTS = {"postgres": 5432, "moto": 5000}  # the images' own listening ports

VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
BARE_VARIABLE = re.compile(r"(?<!\$)\$(?=[A-Za-z_])")
PROVISIONED_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9]*_[A-Z0-9_]+)\}?")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|WEBHOOK")
PLACEHOLDER = re.compile(r"change-me[\w-]*")
REFERENCE = re.compile(r"\$\{(\w+)\}")
SECRET_SHAPES = {
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a Fernet key": re.compile(r"(?<![\w-])[A-Za-z0-9_-]{43}=(?![\w=])"),
    "a Slack webhook": re.compile(r"hooks\.slack\.com/services/"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


def rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.exists(), f"{rel(COMPOSE_FILE)} is missing: restore it from git"
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    """Kept in file order: compose expands ${OTHER} in a value only from the lines above it."""
    entries: dict[str, str] = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), (
            f"{rel(ENV_EXAMPLE)}:{number}: {line!r} is not KEY=value: write it so (no spaces)"
        )
        assert key not in entries, f"{rel(ENV_EXAMPLE)}:{number}: {key} twice: keep one"
        entries[key] = value
    return entries


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), (
        f"{rel(COMPOSE_FILE)}: write `environment:` as a mapping (KEY: value), not a list"
    )
    return {key: str(value) for key, value in env.items()}


def option(command: list[str], *names: str) -> str | None:
    for index, word in enumerate(command[:-1]):
        if word in names:
            return command[index + 1]
    return None


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path → host path; compose resolves host paths against infra/, not the cwd."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (INFRA_DIR / source).resolve()
    return mounts


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif node is not None:
        yield str(node)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), lines joined so that a RUN or ENV over several reads as one."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def dockerfile_env(dockerfile: Path) -> dict[str, str]:
    pairs = [
        word.split("=", 1)
        for name, rest in instructions(dockerfile)
        if name in ("ENV", "ARG")
        for word in shlex.split(rest)
        if "=" in word
    ]
    return dict(pairs)


def copies(dockerfile: Path) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY; `COPY --from` reads another stage, so it is left out."""
    result = []
    for name, rest in instructions(dockerfile):
        words = shlex.split(rest)
        if name == "COPY" and not any(w.startswith("--from") for w in words):
            paths = [w for w in words if not w.startswith("--")]
            result.append((paths[:-1], paths[-1]))
    return result


def python_minor(dockerfile: Path) -> str:
    """The Python of FROM, read from ARG BASE_IMAGE's default when FROM names that ARG."""
    base = next(rest for name, rest in instructions(dockerfile) if name == "FROM")
    base = REFERENCE.sub(lambda m: dockerfile_env(dockerfile).get(m.group(1), m.group(0)), base)
    match = re.match(r"python:(\d+\.\d+)", base)
    assert match, f"{rel(dockerfile)}: FROM {base} is not a python:X.Y image: use one"
    return match.group(1)


def locked_version(package: str) -> str:
    match = re.search(
        rf'^\[\[package\]\]\nname = "{package}"\nversion = "([^"]+)"', UV_LOCK.read_text(), re.M
    )
    assert match, f"{rel(UV_LOCK)} has no {package}: run `uv lock`"
    return match.group(1)


def builds(services: dict[str, dict[str, Any]]) -> dict[Path, Path]:
    """Dockerfile → build context: a Dockerfile's COPY paths are relative to its context."""
    result = {}
    for service in services.values():
        if "build" in service:
            context = (INFRA_DIR / service["build"]["context"]).resolve()
            result[context / service["build"].get("dockerfile", "Dockerfile")] = context
    return result


def test_the_services_and_the_profile(services):
    assert set(services) == ALWAYS | LOCAL_SERVICES, (
        f"{rel(COMPOSE_FILE)} has services {sorted(services)}; expected "
        f"{sorted(ALWAYS | LOCAL_SERVICES)}: add the missing ones or update this test"
    )
    for name, service in services.items():
        expected = [PROFILE] if name in LOCAL_SERVICES else None
        assert service.get("profiles") == expected, (
            f"{rel(COMPOSE_FILE)}: service {name} has profiles {service.get('profiles')}: "
            f"set {expected or 'none'}"
        )


def test_dependencies_wait_for_health_and_tolerate_a_disabled_profile(services):
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), (
            f"{rel(COMPOSE_FILE)}: {name}.depends_on is a list: use the long form with conditions"
        )
        for target, spec in depends_on.items():
            where = f"{rel(COMPOSE_FILE)}: {name}.depends_on.{target}"
            assert target in services, f"{where}: no such service: fix the name"
            condition = spec.get("condition")
            assert condition, f"{where} has no condition: add one (service_healthy, …)"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], (
                    f"{where} waits for health, but {target} has no healthcheck: add one"
                )
            if condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", (
                    f'{where} waits for {target} to exit: give {target} `restart: "no"`'
                )
            if services[target].get("profiles") and not service.get("profiles"):
                assert spec.get("required") is False, (
                    f"{where}: {target} only runs with --profile {PROFILE}: add `required: false`"
                )


def test_long_running_services_have_healthchecks(services):
    for name, service in services.items():
        if service.get("restart", "no") != "no":
            assert "healthcheck" in service, (
                f"{rel(COMPOSE_FILE)}: service {name} has no healthcheck: add one"
            )


def test_build_contexts_dockerfiles_and_their_copies_exist(services):
    for dockerfile, context in builds(services).items():
        assert context.is_dir(), f"{rel(COMPOSE_FILE)}: build context {context} does not exist"
        assert dockerfile.exists(), f"{rel(COMPOSE_FILE)}: dockerfile {dockerfile} does not exist"
        for sources, _ in copies(dockerfile):
            for source in sources:
                assert (context / source).exists(), (
                    f"{rel(dockerfile)}: COPY {source} does not exist in the build context "
                    f"{rel(context) or '.'}: fix the path or restore the file"
                )
    assert set(builds(services)) == {DAGSTER_DOCKERFILE, SPARK_DOCKERFILE, SUPERSET_DOCKERFILE}, (
        f"{rel(COMPOSE_FILE)} builds {sorted(map(str, builds(services)))}: build the Dagster "
        f"image from {rel(DAGSTER_DOCKERFILE)}, Spark's from {rel(SPARK_DOCKERFILE)} and "
        f"Superset's from {rel(SUPERSET_DOCKERFILE)}"
    )


def test_the_dagster_image_copies_what_the_code_reads_and_no_env_file():
    wanted = {"pyproject.toml", "uv.lock", "taxi_platform", "spark", "infra/postgres"}
    wanted |= {rel(WORKSPACE.parent), rel(INIT_SCRIPT.parent)}  # compose.yaml runs files there
    wanted.add(tomllib.loads(PYPROJECT.read_text())["project"]["readme"])  # hatchling needs it
    copied = {source.rstrip("/") for sources, _ in copies(DAGSTER_DOCKERFILE) for source in sources}
    assert wanted <= copied, (
        f"{rel(DAGSTER_DOCKERFILE)} does not COPY {sorted(wanted - copied)}: add COPY lines "
        f"(settings.REPO_ROOT must hold spark/ and infra/postgres/ in the image)"
    )
    assert INFRA_DIR.name not in copied, (
        f"{rel(DAGSTER_DOCKERFILE)} copies infra/ whole, and with it infra/compose.env and its "
        f"passwords: copy the folders the image needs one by one"
    )
    workdir = [rest for name, rest in instructions(DAGSTER_DOCKERFILE) if name == "WORKDIR"]
    assert workdir == [APP_DIR], (
        f"{rel(DAGSTER_DOCKERFILE)}: WORKDIR {workdir}: use {APP_DIR}, the path compose.yaml uses"
    )


def test_bind_mounts_exist_and_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source in HOST_SOCKETS:
                continue
            if source.startswith((".", "/")):
                assert (INFRA_DIR / source).exists(), (
                    f"{rel(COMPOSE_FILE)}: {name} mounts {source}, which does not exist "
                    f"(paths are relative to infra/): fix the path or restore the file"
                )
            else:
                assert source in declared, (
                    f"{rel(COMPOSE_FILE)}: {name} uses volume {source}: declare it under `volumes:`"
                )


def test_paths_inside_the_images_are_files_of_the_repository(compose, services):
    for text in strings(compose):
        for path in re.findall(rf"{APP_DIR}/([^\s:]+)", text):
            assert (REPO_ROOT / path).exists(), (
                f"{rel(COMPOSE_FILE)} names {APP_DIR}/{path}, but {path} is not in the "
                f"repository: fix the path"
            )
    for name, service in services.items():
        for target, source in bind_mounts(service).items():
            if target.startswith(f"{APP_DIR}/"):
                assert source == REPO_ROOT / target.removeprefix(f"{APP_DIR}/"), (
                    f"{rel(COMPOSE_FILE)}: {name} mounts {source} at {target}: mount the "
                    f"repository's own file there"
                )


def test_every_variable_is_in_the_env_example_and_back(env_example):
    text = COMPOSE_FILE.read_text()
    used = {match["name"] for match in VARIABLE.finditer(text)}
    assert not BARE_VARIABLE.search(text), (
        f"{rel(COMPOSE_FILE)}: write variables as ${{VAR}} (and a literal $ as $$)"
    )
    assert used <= set(env_example), (
        f"{rel(COMPOSE_FILE)} uses {sorted(used - set(env_example))}, missing from "
        f"{rel(ENV_EXAMPLE)}: add them there, with a comment and a placeholder"
    )
    referenced = {m["name"] for value in env_example.values() for m in VARIABLE.finditer(value)}
    unused = set(env_example) - used - referenced
    assert not unused, (
        f"{rel(ENV_EXAMPLE)} lists {sorted(unused)}, which {rel(COMPOSE_FILE)} does not use: "
        f"remove them or use them"
    )


def test_env_example_references_only_earlier_keys(env_example):
    seen: set[str] = set()
    for key, value in env_example.items():
        for match in VARIABLE.finditer(value):
            assert match["name"] in seen, (
                f"{rel(ENV_EXAMPLE)}: {key} uses ${{{match['name']}}} before it is set: "
                f"move {match['name']} above {key}"
            )
        seen.add(key)


def test_required_variables_fail_with_a_message(services):
    code_env = environment(services[CODE_SERVER])
    for name, setting in SETTINGS.items():
        if setting.required_in_aws:
            assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", code_env.get(name, "")), (
                f"{rel(COMPOSE_FILE)}: {CODE_SERVER} must get {name} as "
                f"${{{name}:?set {name} … in the env file}} (aws mode cannot run without it)"
            )
    for match in VARIABLE.finditer(COMPOSE_FILE.read_text()):
        if match["op"] in (":?", "?"):
            assert match["arg"].strip(), (
                f"{rel(COMPOSE_FILE)}: ${{{match['name']}{match['op']}}} has no message: "
                f"say what to set"
            )


def test_the_code_server_gets_every_setting(services, env_example):
    code_env = environment(services[CODE_SERVER])
    missing = set(SETTINGS) - set(code_env) - set(NOT_FOR_THE_CODE_SERVER)
    assert not missing, (
        f"{rel(COMPOSE_FILE)}: {CODE_SERVER} does not get {sorted(missing)} "
        f"(taxi_platform/settings.py): pass them in its environment and list them in "
        f"{rel(ENV_EXAMPLE)}, or add them to NOT_FOR_THE_CODE_SERVER here with the reason"
    )
    unexpected = set(NOT_FOR_THE_CODE_SERVER) & set(code_env)
    assert not unexpected, (
        f"{rel(COMPOSE_FILE)}: {CODE_SERVER} gets {sorted(unexpected)}: "
        f"{'; '.join(NOT_FOR_THE_CODE_SERVER[name] for name in sorted(unexpected))}"
    )
    assert code_env.get("TAXI_PLATFORM_ENV") == "aws", (
        f"{rel(COMPOSE_FILE)}: {CODE_SERVER} must run with TAXI_PLATFORM_ENV: aws"
    )


def provisioned_variables() -> set[str]:
    """Parsed, not grepped: the files' comments show `$VAR` examples Grafana never expands."""
    files = GRAFANA_PROVISIONING.rglob("*.yaml")
    return {
        name
        for path in files
        for text in strings(yaml.safe_load(path.read_text()))
        for name in PROVISIONED_VARIABLE.findall(text)
    }


def test_taxi_variables_are_catalogued(env_example):
    documented = set(SETTINGS) | provisioned_variables()
    stray = {key for key in env_example if key.startswith("TAXI_")} - documented
    assert not stray, (
        f"{rel(ENV_EXAMPLE)} has {sorted(stray)}, neither in taxi_platform/settings.py's SETTINGS "
        f"nor read by infra/grafana/provisioning: add them to SETTINGS or rename them"
    )


def grafana_local_constant(name: str) -> str:
    tree = ast.parse(GRAFANA_LOCAL.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{rel(GRAFANA_LOCAL)} no longer defines {name}: update this test")


def test_grafana_runs_as_the_local_hint_does(services):
    grafana = services["grafana"]
    assert grafana["image"] == grafana_local_constant("GRAFANA_IMAGE"), (
        f"{rel(COMPOSE_FILE)}: grafana runs {grafana['image']}, `bi grafana` "
        f"{grafana_local_constant('GRAFANA_IMAGE')}: use the same image in both"
    )
    dashboards = "/var/lib/grafana/dashboards"
    expected = {
        "/etc/grafana/provisioning": GRAFANA_PROVISIONING,
        dashboards: INFRA_DIR / "grafana" / "dashboards",
    }
    mounts = bind_mounts(grafana)
    assert {target: mounts.get(target) for target in expected} == expected, (
        f"{rel(COMPOSE_FILE)}: grafana must mount infra/grafana/provisioning and "
        f"infra/grafana/dashboards read-only where {rel(GRAFANA_LOCAL)} mounts them"
    )
    assert all(v.endswith(":ro") for v in grafana["volumes"] if v.startswith(".")), (
        f"{rel(COMPOSE_FILE)}: mount grafana's provisioning and dashboards with :ro"
    )
    provider = yaml.safe_load((GRAFANA_PROVISIONING / "dashboards" / "provider.yaml").read_text())
    assert {p["options"]["path"] for p in provider["providers"]} == {dashboards}, (
        f"infra/grafana/provisioning/dashboards/provider.yaml must load {dashboards}, "
        f"where {rel(COMPOSE_FILE)} mounts the dashboards"
    )
    env = environment(grafana)
    missing = provisioned_variables() - set(env)
    assert not missing, (
        f"{rel(COMPOSE_FILE)}: grafana's provisioning reads {sorted(missing)}: "
        f"pass them in grafana's environment"
    )
    slack = grafana_local_constant("SLACK_VARIABLE")
    placeholder = grafana_local_constant("SLACK_PLACEHOLDER")
    assert env.get(slack) == f"${{{slack}:-{placeholder}}}", (
        f"{rel(COMPOSE_FILE)}: grafana's {slack} must default to `bi grafana`'s placeholder: "
        f"${{{slack}:-{placeholder}}}"
    )
    zone = f"${{TAXI_TIMEZONE:-{SETTINGS['TAXI_TIMEZONE'].default}}}"
    assert env.get("GF_USERS_DEFAULT_TIMEZONE") == zone, (
        f"{rel(COMPOSE_FILE)}: the dashboards name no zone, so grafana's "
        f"GF_USERS_DEFAULT_TIMEZONE must be the business time zone: {zone}"
    )


def env_names(node: Any) -> Iterator[str]:
    """dagster.yaml takes settings as `env: NAME`; every Dagster service needs each NAME."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, str):
                yield value
            else:
                yield from env_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from env_names(value)


def test_superset_is_the_official_image_with_the_project_s_config_and_bundle(services):
    """The same Superset as `taxi-platform bi superset` runs, configured from infra/superset/,
    importing the bundle `bi superset-bundle` builds, with bi_reader's URL from the env file."""
    base = dockerfile_env(SUPERSET_DOCKERFILE)["SUPERSET_IMAGE"]
    version = re.search(r'^SUPERSET_VERSION = "([^"]+)"$', SUPERSET_ENV.read_text(), re.M)[1]
    assert base == f"apache/superset:{version}", (
        f"{rel(SUPERSET_DOCKERFILE)}: FROM {base}: use the official apache/superset:{version}, "
        f"the version {rel(SUPERSET_ENV)} installs locally"
    )
    copied = {source for sources, _ in copies(SUPERSET_DOCKERFILE) for source in sources}
    assert {"superset_config.py", "compose-start.sh"} <= copied, rel(SUPERSET_DOCKERFILE)
    start = (SUPERSET_DIR / "compose-start.sh").read_text()
    [bundle_out] = [
        services["superset-bundle"]["command"][i + 1]
        for i, word in enumerate(services["superset-bundle"]["command"])
        if word == "--out"
    ]
    assert services["superset-bundle"]["command"][:3] == ["taxi-platform", "bi", "superset-bundle"]
    assert f"--path {bundle_out}" in start, f"{rel(SUPERSET_DIR)}/compose-start.sh: import it"
    for name in ("superset", "superset-bundle"):
        url = environment(services[name])["TAXI_BI_READER_URL"]
        assert url.startswith("${TAXI_BI_READER_URL:?"), f"{name}: from the env file"
    assert "SUPERSET_SECRET_KEY" in environment(services["superset"])


def test_the_dagster_services_share_one_instance(services):
    home = dockerfile_env(DAGSTER_DOCKERFILE).get("DAGSTER_HOME")
    assert home, f"{rel(DAGSTER_DOCKERFILE)}: set ENV DAGSTER_HOME"
    copy = ([rel(DAGSTER_YAML)], "${DAGSTER_HOME}/dagster.yaml")
    assert copy in copies(DAGSTER_DOCKERFILE), (
        f"{rel(DAGSTER_DOCKERFILE)}: add COPY {rel(DAGSTER_YAML)} ${{DAGSTER_HOME}}/dagster.yaml"
    )
    needed = set(env_names(yaml.safe_load(DAGSTER_YAML.read_text())))
    for name in DAGSTER_SERVICES:
        service = services[name]
        assert service["image"] == services[CODE_SERVER]["image"], (
            f"{rel(COMPOSE_FILE)}: {name} must run the image of {CODE_SERVER}"
        )
        missing = needed - set(environment(service))
        assert not missing, (
            f"{rel(COMPOSE_FILE)}: {name} lacks {sorted(missing)}, read by {rel(DAGSTER_YAML)}: "
            f"pass them in its environment"
        )
        assert any(v.endswith(f":{home}/storage") for v in service.get("volumes", [])), (
            f"{rel(COMPOSE_FILE)}: {name} must mount the shared volume at {home}/storage "
            f"(compute logs are written by runs in {CODE_SERVER} and read by the webserver)"
        )


def test_the_workspace_points_at_the_code_server(services):
    command = services[CODE_SERVER]["command"]
    pyproject = tomllib.loads(PYPROJECT.read_text())["tool"]["dagster"]
    module = option(command, "-m", "--module-name")
    assert module == pyproject["module_name"], (
        f"{rel(COMPOSE_FILE)}: {CODE_SERVER} serves {module}: serve {pyproject['module_name']} "
        f"(pyproject.toml [tool.dagster])"
    )
    assert importlib.util.find_spec(module), f"{module} is not importable: fix the module name"
    [entry] = yaml.safe_load(WORKSPACE.read_text())["load_from"]
    grpc = entry["grpc_server"]
    assert (grpc["host"], str(grpc["port"])) == (CODE_SERVER, option(command, "-p", "--port")), (
        f"{rel(WORKSPACE)} points at {grpc['host']}:{grpc['port']}: point it at "
        f"{CODE_SERVER}:{option(command, '-p', '--port')}, where {rel(COMPOSE_FILE)}'s code "
        f"server listens"
    )
    assert option(command, "-h", "--host") == "0.0.0.0", (
        f"{rel(COMPOSE_FILE)}: {CODE_SERVER} must listen on 0.0.0.0 (-h) to be reachable"
    )
    assert grpc["location_name"] == pyproject["code_location_name"], (
        f"{rel(WORKSPACE)}: location_name must be {pyproject['code_location_name']} "
        f"(pyproject.toml [tool.dagster])"
    )
    workspace_in_image = f"{APP_DIR}/{rel(WORKSPACE)}"
    for name in DAGSTER_SERVICES - {CODE_SERVER}:
        assert option(services[name]["command"], "-w", "--workspace") == workspace_in_image, (
            f"{rel(COMPOSE_FILE)}: {name} must load -w {workspace_in_image}"
        )


def test_the_commands_exist(services):
    scripts = {script.name for script in entry_points(group="console_scripts")} | {"python"}
    # Only the log API's simulator runs in compose; the others cost a second to import.
    log_simulator = next(
        m for m in tool_modules("simulator") if m.__name__.endswith(".logs.simulator")
    )
    for name, service in services.items():
        if service.get("build", {}).get("dockerfile") != rel(DAGSTER_DOCKERFILE):
            continue
        command = service["command"]
        tooling = command[0] == "taxi-platform" or "moto_init" in " ".join(command)
        assert (service["build"].get("target") == "tools") == tooling, (
            f"{rel(COMPOSE_FILE)}: {name} must build the Dockerfile's `tools` target exactly "
            "when it runs the tooling (the default target holds the code location only)"
        )
        assert command[0] in scripts, (
            f"{rel(COMPOSE_FILE)}: {name} runs {command[0]}, not a command of the project's "
            f"environment: fix it or add the dependency to pyproject.toml"
        )
        if command[:2] == ["taxi-platform", "simulate"]:
            parser = argparse.ArgumentParser(exit_on_error=False)
            log_simulator.add_cli(parser.add_subparsers())
            try:
                parser.parse_args(command[2:])
            except (argparse.ArgumentError, SystemExit) as exc:
                pytest.fail(f"{rel(COMPOSE_FILE)}: {name}'s command does not parse ({exc}): fix it")


def test_both_images_run_the_same_python_and_pyspark():
    pyspark = dockerfile_env(SPARK_DOCKERFILE).get("PYSPARK_VERSION")
    assert pyspark == locked_version("pyspark"), (
        f"{rel(SPARK_DOCKERFILE)}: ARG PYSPARK_VERSION={pyspark}, uv.lock has pyspark "
        f"{locked_version('pyspark')}: set the ARG to uv.lock's version (the driver's)"
    )
    spark_minor, dagster_minor = python_minor(SPARK_DOCKERFILE), python_minor(DAGSTER_DOCKERFILE)
    assert spark_minor == dagster_minor, (
        f"{rel(SPARK_DOCKERFILE)} runs Python {spark_minor}, {rel(DAGSTER_DOCKERFILE)} "
        f"{dagster_minor}: PySpark needs one minor version on driver and executors; align FROM"
    )
    spark_home = dockerfile_env(SPARK_DOCKERFILE).get("SPARK_HOME", "")
    assert f"/python{spark_minor}/" in spark_home, (
        f"{rel(SPARK_DOCKERFILE)}: SPARK_HOME={spark_home} is not under Python {spark_minor}: "
        f"fix the path with the base image"
    )
    requires = tomllib.loads(PYPROJECT.read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(f"{dagster_minor}.0"), (
        f"{rel(DAGSTER_DOCKERFILE)}: Python {dagster_minor} does not satisfy pyproject.toml's "
        f"requires-python {requires}: change FROM"
    )


def test_moto_runs_the_locked_version(services):
    image = services["moto"]["image"]
    assert image == f"motoserver/moto:{locked_version('moto')}", (
        f"{rel(COMPOSE_FILE)}: moto runs {image}; the tests use moto {locked_version('moto')} "
        f"(uv.lock): use motoserver/moto:{locked_version('moto')}"
    )


def resolve(text: str, env: dict[str, str]) -> str:
    """Host ports may be variables: count them as the example (or the defaults) makes them."""

    def value(match: re.Match[str]) -> str:
        found = env.get(match["name"], "")
        return found if found or match["op"] not in (":-", "-") else match["arg"]

    return VARIABLE.sub(value, text)


def test_published_ports_are_unique_and_reach_the_service(services, env_example):
    published: dict[str, str] = {}
    for name, service in services.items():
        listens = option(service.get("command") or [], "-p", "--webui-port")
        for entry in service.get("ports", []):
            host_port, container_port = resolve(entry, env_example).split(":")[-2:]
            assert host_port not in published, (
                f"{rel(COMPOSE_FILE)}: host port {host_port} is published by "
                f"{published.get(host_port)} and {name}: give {name} another host port"
            )
            published[host_port] = name
            assert listens in (None, container_port), (
                f"{rel(COMPOSE_FILE)}: {name} publishes container port {container_port} but "
                f"listens on {listens}: make them equal"
            )


def service_port(services: dict[str, dict[str, Any]], name: str) -> int | None:
    port = option(services[name].get("command") or [], "--port", "-p")
    return int(port) if port else IMAGE_PORTS.get(name)


def test_hosts_without_a_domain_are_compose_services(services, env_example):
    """A dotless host can only be a service of the compose network: it must exist and listen."""
    addresses = {f"{rel(ENV_EXAMPLE)}: {key}": value for key, value in env_example.items()}
    if "TAXI_BI_READER_ADDRESS" in env_example:
        addresses[f"{rel(ENV_EXAMPLE)}: TAXI_BI_READER_ADDRESS"] = (
            f"//{env_example['TAXI_BI_READER_ADDRESS']}"
        )
    for name, service in services.items():
        for key, value in environment(service).items():
            if "${" not in value:
                addresses[f"{rel(COMPOSE_FILE)}: {name}.{key}"] = value
    for where, value in addresses.items():
        parts = urlsplit(value)
        if "//" not in value or not parts.hostname or "." in parts.hostname:
            continue
        assert parts.hostname in services, (
            f"{where}: host {parts.hostname} is not a service of {rel(COMPOSE_FILE)}: fix the name"
        )
        expected = service_port(services, parts.hostname)
        assert parts.port in (None, expected), (
            f"{where}: {parts.hostname} listens on {expected}, not {parts.port}: fix the port"
        )


def test_postgres_init_feeds_every_role_password(services):
    script = INIT_SCRIPT.read_text()
    wanted = set(re.findall(r":'(\w+)'", ROLES_SQL.read_text()))
    fed = dict(re.findall(r"^\\getenv (\w+) (\w+)$", script, re.M))
    assert set(fed) == wanted, (
        f"{rel(INIT_SCRIPT)} feeds psql variables {sorted(fed)}, {rel(ROLES_SQL)} uses "
        f"{sorted(wanted)}: add a \\getenv line per variable"
    )
    checked = set(re.findall(r"\$\{(\w+):\?", script))
    assert set(fed.values()) <= checked, (
        f"{rel(INIT_SCRIPT)}: check {sorted(set(fed.values()) - checked)} with "
        f': "${{NAME:?…}}" before psql runs'
    )
    postgres = services["postgres"]
    missing = set(fed.values()) - set(environment(postgres))
    assert not missing, (
        f"{rel(COMPOSE_FILE)}: the postgres service lacks {sorted(missing)}: pass them from the "
        f"env file"
    )
    mounts = bind_mounts(postgres)
    [included] = re.findall(r"^\\i (\S+)$", script, re.M)
    assert mounts.get(included) == ROLES_SQL, (
        f"{rel(INIT_SCRIPT)} runs {included}: mount {rel(ROLES_SQL)} there in {rel(COMPOSE_FILE)}"
    )
    assert any(
        target.startswith("/docker-entrypoint-initdb.d/")
        and target.endswith(".sh")
        and source == INIT_SCRIPT
        for target, source in mounts.items()
    ), (
        f"{rel(COMPOSE_FILE)}: mount {rel(INIT_SCRIPT)} as /docker-entrypoint-initdb.d/<name>.sh "
        f"in the postgres service"
    )


def test_no_secret_in_the_example_or_the_image(env_example):
    for key, value in env_example.items():
        if SECRET_NAME.search(key):
            assert not value or PLACEHOLDER.fullmatch(value) or REFERENCE.fullmatch(value), (
                f"{rel(ENV_EXAMPLE)}: {key} holds a value: write a change-me placeholder"
            )
        if "://" in value:
            password = urlsplit(value).password
            assert (
                password is None or REFERENCE.fullmatch(password) or PLACEHOLDER.fullmatch(password)
            ), f"{rel(ENV_EXAMPLE)}: {key} embeds a password: use ${{PG_…_PASSWORD}} or change-me"
    for path in (ENV_EXAMPLE, COMPOSE_FILE, DAGSTER_DOCKERFILE, INIT_SCRIPT):
        text = path.read_text()
        for what, shape in SECRET_SHAPES.items():
            assert not shape.search(text), (
                f"{rel(path)} contains what looks like {what}: remove it (and rotate it)"
            )
    baked = [name for name in dockerfile_env(DAGSTER_DOCKERFILE) if SECRET_NAME.search(name)]
    assert not baked, (
        f"{rel(DAGSTER_DOCKERFILE)} sets {baked} in the image: pass them at run time instead"
    )
