"""Session fixtures: one real embedded stack (PostgreSQL + moto) per run, per xdist worker.

Tests build resources from the stack's environment through the same wiring the code
location uses (`build_resources`). Never import `taxi_platform.definitions` at a test
module's top level: it reads which variables are set when imported, before fixtures run.
"""

import os
import re
from pathlib import Path

import pytest
from hypothesis import settings

from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import zones_csv_default
from taxi_platform_dev.local.stack import Stack

# Hypothesis profiles. Without --hypothesis-profile the suite runs hypothesis' default
# profile (tests that need fewer examples say so). `hostile-long` is for hand runs:
#   uv run pytest taxi_platform_tests/logs/test_hostile_input.py --hypothesis-profile=hostile-long
# ten times the examples, and the hostile-input suite then adds its 20 MB strings.
settings.register_profile("hostile-long", max_examples=1000, deadline=None)

# What runs where: pytest-xdist (`-n auto`, pyproject.toml's addopts) runs two workers, each
# with its own stack. A unit of work is what shares session fixtures: a domain folder (its
# conftest's session fixtures, e.g. the zone models' one materialization) or a top-level file
# (our scheduler: xdist's `--dist loadgroup` marks are lost on pytest 9.2, pytest-xdist#1386).
# Units start longest first, so that the last ones, short, even out the two workers: the
# daemon (a stack of its own, mostly waiting on the clock) and the demo (a stack and
# processes of its own) side by side, then the domain folders, then the top-level files.
# The image checks (`-m image`) run in one process: two podman builds of one image at once
# would each take the whole machine. So does a run of one unit (`uv run pytest
# taxi_platform_tests/zones`, one file): it would keep one worker anyway, and a second one
# would only start a second stack.
WORKERS = 2
FIRST = ("test_daemon.py", "test_demo.py")


def _work_unit(nodeid: str) -> str:
    """`zones` for taxi_platform_tests/zones/…, `test_cli.py` for a top-level file."""
    path = nodeid.split("::", 1)[0]
    return path.removeprefix(f"{Path(__file__).parent.name}/").split("/", 1)[0]


def _start_order(item: pytest.Item) -> int:
    unit = _work_unit(item.nodeid)
    return 0 if unit in FIRST else 2 if unit.endswith(".py") else 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_start_order)  # stable: within a unit, the tests keep their order


def _one_unit(args: list[str]) -> bool:
    """Whether the command line's paths all lie in one unit of work."""
    root = Path(__file__).parent.resolve()
    units = set()
    for arg in args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if root not in path.parents:
            return False  # the whole suite, or paths outside it
        units.add(path.relative_to(root).parts[0])
    return len(units) == 1


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    selected = re.search(r"(?<!not )\bimage\b", config.option.markexpr or "")
    if selected or _one_unit(config.args):
        return 0
    return min(WORKERS, os.cpu_count() or 1)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with our units, in collection order."""

        def __init__(self, config: pytest.Config, log) -> None:
            super().__init__(config, log)
            config.option.loadscopereorder = False  # not by test count: `_start_order`

        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return UnitScheduling(config, log)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    stack = Stack(tmp_path_factory.mktemp("stack"), say=lambda _msg: None)
    stack.up()
    env = stack.env()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield stack
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stack.down(save=False)  # the session's lake dies with its temporary folder


@pytest.fixture(scope="session")
def stack_env(stack: Stack) -> dict[str, str]:
    return stack.env()


@pytest.fixture(scope="session")
def resources(stack: Stack) -> dict:
    """The code location's resources, wired to the session stack (pass to `dg.materialize`)."""
    return build_resources("local")


@pytest.fixture(scope="session")
def live(resources) -> dict:
    """The same resources with their `dg.EnvVar`s resolved, for calling them directly."""
    return {key: r.process_config_and_initialize() for key, r in resources.items()}


def _live_resource(key: str):
    """A session fixture named `key`: that one resource of `live`."""

    @pytest.fixture(scope="session", name=key)
    def fixture(live):
        return live[key]

    return fixture


lake = _live_resource("lake")
dynamodb = _live_resource("dynamodb")
postgres_db = _live_resource("postgres_db")
daily_stats_db = _live_resource("daily_stats_db")
gold_db = _live_resource("gold_db")


@pytest.fixture(scope="session")
def zone_csv() -> Path:
    return Path(zones_csv_default())


@pytest.fixture(scope="session")
def spark_jars_dir() -> Path:
    """spark/pom.xml's jars, fetched by the project's own command (`taxi-platform spark jars`,
    mvn into the cache; a no-op when the cache holds them), as a clean CI machine gets them."""
    from taxi_platform.resources.spark_jars import cache_dir
    from taxi_platform_dev.cli import main

    assert main(["spark", "jars"]) == 0
    return cache_dir()


@pytest.fixture(scope="session")
def spark_connect(stack, spark_jars_dir, tmp_path_factory):
    """The URL of one Spark Connect server for the session, started by the first test that
    asks (as `taxi-platform dev` starts one with the spark engine): `local[2]` like the
    spark-submit tests, reading staged paths and the stack's moto S3 over s3a alike."""
    from taxi_platform.resources.spark import SparkResource
    from taxi_platform_dev.local.processes import terminate
    from taxi_platform_dev.local.spark_connect import launch, url

    spark = SparkResource(input_mode="s3a", driver_memory="1g", shuffle_partitions=4)
    log = tmp_path_factory.mktemp("spark_connect") / "server.log"
    pid, port = launch(spark, log, dict(os.environ))
    try:
        yield url(port)
    finally:
        terminate(pid)
