"""`taxi-platform bi screenshots`: the README's pictures of the BI dashboards, from real data.

Made after a demo (`taxi-platform demo --keep`), against its still running stack:
- Grafana (not installed here): every panel query of every dashboard runs as bi_reader,
  its macros expanded for the business day the demo simulated (the latest one with all 24
  hours in `zone_diff_stats`, the zone recommendation's "yesterday"), and each dashboard
  becomes a static page of SVG charts (`charts.py`) that headless Chromium photographs;
- Superset: the real Superset (`SupersetServer`, the bundle imported) starts on a free port,
  Chromium logs in as admin (the password goes from the site's secrets file to the login
  form, nowhere else) and photographs each dashboard once its charts have drawn.
PNGs are 1280 px wide: `grafana_<dashboard>.png` and `superset_<slug>.png` in docs/images/.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from taxi_platform.defs.counters.stats import business_day_of, business_day_window
from taxi_platform.settings import REPO_ROOT, ConfigError, timezone
from taxi_platform_dev.bi.charts import PAGE_WIDTH, render_page
from taxi_platform_dev.bi.chromium import Browser
from taxi_platform_dev.bi.grafana import (
    dashboards,
    expand_macros,
    panel_queries,
    postgres_databases,
)
from taxi_platform_dev.bi.reader import BiReader
from taxi_platform_dev.bi.superset_bundle import build_bundle, load_sources
from taxi_platform_dev.bi.superset_server import ADMIN, SupersetServer
from taxi_platform_dev.local.processes import free_port
from taxi_platform_dev.local.stack import Stack, default_home

DEFAULT_OUT = REPO_ROOT / "docs" / "images"
# Superset has drawn a dashboard when every chart's container holds a canvas, an SVG or a
# table and no loading indicator is left.
CHARTS_DRAWN = """(() => {
  const slices = Array.from(document.querySelectorAll('.slice_container'));
  const drawn = slices.filter(s => s.querySelector('canvas, svg, table')).length;
  const loading = document.querySelectorAll('.loading, [data-test="loading-indicator"]').length;
  return slices.length >= %d && drawn === slices.length && loading === 0;
})()"""


def running_stack() -> Stack:
    """The running local stack: the default one (`stack up`, `dev`) or the demo's."""
    for stack in (Stack(), Stack(default_home() / "demo")):
        if stack.is_up():
            return stack
    raise ConfigError(
        "no local stack is running: run `taxi-platform demo --keep` first, its stack "
        "stays up for the pictures"
    )


def picture_window(reader: BiReader) -> tuple[datetime, datetime]:
    """The latest business day with all 24 hours in zone_diff_stats, as [start, end)."""
    [[newest]] = reader.run("daily_stats_db", 'SELECT max("timestamp") FROM zone_diff_stats').rows
    if newest is None:
        raise ConfigError("zone_diff_stats is empty: run `taxi-platform demo --keep` first")
    day = business_day_of(newest + timedelta(hours=1), timezone()) - timedelta(days=1)
    return business_day_window(day, timezone())


def grafana_pages(reader: BiReader, folder: Path, window: tuple[datetime, datetime]) -> dict:
    """One HTML page per Grafana dashboard (by file stem), its panel queries run for `window`."""
    databases = postgres_databases()
    start, end = window
    when = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {timezone()}"
    pages = {}
    for name, board in dashboards().items():
        results = {
            query.panel_id: reader.run(
                databases[query.datasource_uid], expand_macros(query.sql, start, end)
            )
            for query in panel_queries(board)
        }
        subtitle = (
            f"Grafana dashboard {board['uid']}: its panel queries, run as bi_reader for "
            f"{when}, drawn by `taxi-platform bi screenshots`"
        )
        pages[name] = folder / f"{name}.html"
        pages[name].write_text(render_page(board, results, subtitle))
    return pages


def superset_pictures(browser: Browser, stack: Stack, bi_reader_url: str, out: Path) -> list:
    """Start Superset with the bundle, log in, photograph every dashboard; stop Superset."""
    boards = [c for n, c in load_sources().items() if n.startswith("dashboards/")]
    server = SupersetServer(stack.home / "superset", free_port(), bi_reader_url)
    server.environment.ensure()
    bundle = build_bundle(server.folder / "bundle.zip", bi_reader_url)
    server.prepare()
    pictures = []
    try:
        server.start()
        server.publish(bundle)
        browser.open(f"{server.url}/login/")
        browser.wait_until("!!document.querySelector('#password')", "the login form")
        browser.type_into("#username", ADMIN)
        browser.type_into("#password", server.secrets()["admin_password"])
        browser.press_enter()
        browser.wait_until("!location.pathname.startsWith('/login')", "login")
        for board in boards:
            charts = sum(len(row) for row in board["layout"])
            browser.open(f"{server.url}/superset/dashboard/{board['slug']}/?standalone=1")
            drawn = CHARTS_DRAWN % charts
            browser.wait_until(drawn, f"dashboard {board['slug']}", 120)
            pictures.append(browser.screenshot(out / f"superset_{board['slug']}.png", drawn))
    finally:
        server.stop()
    return pictures


def screenshots_command(args: argparse.Namespace) -> int:
    stack = running_stack()
    url = os.environ.get("TAXI_BI_READER_URL") or stack.env()["TAXI_BI_READER_URL"]
    reader = BiReader(url)
    out = args.out.resolve()
    with (
        tempfile.TemporaryDirectory(prefix="taxi-grafana-pages-") as folder,
        Browser(PAGE_WIDTH) as browser,
    ):
        pictures = []
        if args.only in (None, "grafana"):
            window = picture_window(reader)
            for name, page in grafana_pages(reader, Path(folder), window).items():
                browser.open(page.as_uri())
                pictures.append(browser.screenshot(out / f"grafana_{name}.png"))
        if args.only in (None, "superset"):
            pictures += superset_pictures(browser, stack, url, out)
    for picture in pictures:
        print(f"{picture} ({picture.stat().st_size // 1024} KiB)")
    return 0
