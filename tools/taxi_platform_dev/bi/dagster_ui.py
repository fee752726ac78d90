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

WIDTH, HEIGHT = 1440, 900
ASSET = "daily_zone_stats"  # owners, partitions, checks, a column schema and a source upstream
# Names the lineage shows once the graph has been laid out (sources to dashboards).
LINEAGE_NAMES = ("pickup_counters", "daily_zone_stats", "log_api", "click_events", "taxi_trips")
SETTLE_SECONDS = 4  # zoom-to-fit and the asset nodes' status queries after the first draw


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
    browser.open(f"{url}/asset-groups")
    browser.wait_until(_shows(*LINEAGE_NAMES), "the global asset lineage", 180)
    time.sleep(SETTLE_SECONDS)
    pictures = [browser.window_shot(out / "dagster_lineage.png", HEIGHT)]
    browser.open(f"{url}/assets/{ASSET}")
    browser.wait_until(_shows("Partitions", "Columns", "team:"), f"the page of {ASSET}", 120)
    time.sleep(SETTLE_SECONDS)
    pictures.append(browser.window_shot(out / f"dagster_asset_{ASSET}.png", HEIGHT))
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
