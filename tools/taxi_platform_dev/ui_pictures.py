"""`taxi-platform bi ui-pictures`: the README's pictures of the Dagster UI, from the real UI.

Made after a demo (`taxi-platform demo --keep`): `dagster-webserver` starts on a free port
over the running stack's instance (its DAGSTER_HOME: the demo's runs, observations and
checks) and this code location, headless Chromium (`chromium.py`) opens the global asset
lineage and one asset's page, and photographs each once it has drawn; the webserver is then
stopped with its process group. PNGs in docs/images/: `dagster_lineage.png`,
`dagster_asset_<asset>.png`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from taxi_platform.settings import REPO_ROOT
from taxi_platform_dev.bi.chromium import Browser
from taxi_platform_dev.bi.screenshots import running_stack
from taxi_platform_dev.local.processes import free_port, stop_group, wait_for_port

# A 2400 × 1350 window drawn at 2/3 scale: 1600 × 900 pixels holding the whole lineage.
WIDTH, HEIGHT, SCALE = 2400, 1350, 2 / 3
ASSET = "daily_zone_stats"  # owners, partitions, checks, a column schema and a source upstream
# Names the lineage shows once its groups are expanded (it draws only the nodes in view).
LINEAGE_NAMES = ("pickup_counters", "zone_diff_stats")
SETTLE_SECONDS = 6  # layout, zoom-to-fit and the nodes' status queries after the first draw
ZOOM_OUT = 230  # one Ctrl+wheel step: from the readable zoom the UI opens at to the whole graph
# The UI's own local settings: the community sign-up dialog seen, the navigation collapsed.
LOCAL_SETTINGS = {"communityNux": '"1"', "dagster-nav-collapsed": "true"}


def _shows(*texts: str) -> str:
    """A JavaScript condition: the page's text holds every one of `texts`."""
    return " && ".join(f"document.body.innerText.includes({json.dumps(t)})" for t in texts)


def start_webserver(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "dagster_webserver"),
                *("-w", str(REPO_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)),
            ],
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its code server too: stopped as one process group
        )
    try:
        wait_for_port(port, 180, "dagster-webserver", log)
    except BaseException:
        stop_group(process)
        raise
    return process


def ui_pictures(browser: Browser, url: str, out: Path) -> list[Path]:
    browser.window(WIDTH, HEIGHT, SCALE)
    browser.open(f"{url}/asset-groups")
    for key, value in LOCAL_SETTINGS.items():
        browser.evaluate(f"localStorage.setItem({json.dumps(key)}, {json.dumps(value)})")
    browser.open(f"{url}/asset-groups")
    browser.wait_until(_shows("counters", "zones", "bronze"), "the asset groups", 180)
    time.sleep(SETTLE_SECONDS)
    browser.press("e", "KeyE", 69, modifiers=1)  # Alt+E: expand all groups
    browser.wait_until(_shows(*LINEAGE_NAMES), "the global asset lineage", 180)
    time.sleep(SETTLE_SECONDS)
    browser.wheel(WIDTH // 2, HEIGHT // 2, ZOOM_OUT, modifiers=2)
    time.sleep(SETTLE_SECONDS)
    pictures = [browser.capture(out / "dagster_lineage.png")]
    browser.open(f"{url}/assets/{ASSET}")
    browser.wait_until(_shows("Partitions", "Columns", "Owners"), f"the page of {ASSET}", 120)
    time.sleep(SETTLE_SECONDS)
    pictures.append(browser.capture(out / f"dagster_asset_{ASSET}.png"))
    return pictures


def ui_pictures_command(args: argparse.Namespace) -> int:
    stack = running_stack()
    port = free_port()
    log = stack.home / "logs" / "ui-pictures-webserver.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    webserver = start_webserver({**os.environ, **stack.env()}, port, log)
    try:
        with Browser(WIDTH) as browser:
            pictures = ui_pictures(browser, f"http://127.0.0.1:{port}", args.out.resolve())
    finally:
        stop_group(webserver)
    for picture in pictures:
        print(f"{picture} ({picture.stat().st_size // 1024} KiB)")
    return 0
