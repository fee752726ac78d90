"""The README's first command, `taxi-platform demo`, end to end as users run it.

Why a subprocess with a stack of its own: the demo starts its own embedded stack, companions
and Dagster instance and stops them at the end; the console script, its progress output and
its clean shutdown are what the README promises, and a fresh stack keeps this session's data
out of its numbers. The rows each step produced are checked by the domain tests; here every
asset of the code location must be in the summary with rows, and the console must stay short.
Then every dashboard panel and chart must have data: the demo's PostgreSQL (its data folder
outlives `stack down`) is started again and every Grafana and Superset query runs on it as
bi_reader, for the business day the README's pictures show.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from taxi_platform.settings import REPO_ROOT
from taxi_platform_dev.bi.panel_data import empty_panels
from taxi_platform_dev.bi.reader import BiReader
from taxi_platform_dev.bi.screenshots import picture_window
from taxi_platform_dev.local.stack import Stack

NOT_IN_THE_SUMMARY = {"api_logs_landing"}  # landed by the logs step's `prepare` (a replay)
SUMMARY_ROW = re.compile(
    r"^(?P<asset>[a-z_]+)\s{2,}.*?\s(?P<rows>\d+)\s+[\d.]+\s*$"  # asset, partitions, rows, s
)
FILLED = re.compile(r"^recent partitions filled: (?P<list>.*)$", re.M)
BY_JOB = re.compile(r"^runs by job: (?P<list>.*)$", re.M)
MAX_CONSOLE_LINES = 120  # progress + summary; Spark's INFO log alone was ~800


def test_the_demo_materializes_every_asset_and_stops_its_stack(stack, tmp_path: Path):
    from taxi_platform.definitions import defs  # after the session stack: reads its env

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAXI_", "AWS_", "DAGSTER_"))}
    env["TAXI_STACK_HOME"] = str(tmp_path)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "taxi-platform"), "demo"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    console = result.stdout + result.stderr
    assert result.returncode == 0, console[-4000:]

    summary = {
        m["asset"]: int(m["rows"]) for m in map(SUMMARY_ROW.match, console.splitlines()) if m
    }
    graph = defs.get_repository_def().asset_graph
    keys = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    expected = {key.to_user_string() for key in keys} - NOT_IN_THE_SUMMARY
    assert sorted(expected - set(summary)) == [], "assets the demo does not materialize"
    assert [asset for asset, count in summary.items() if count == 0] == []
    # The demo writes the latest days and month, so the UI's partition bars are not empty:
    # every partitioned asset has some of its recent partitions (the instance says) filled.
    filled = dict(item.rsplit(" ", 1) for item in FILLED.search(console)["list"].split(", "))
    partitioned = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_partitioned
    }
    assert set(filled) == partitioned
    assert [a for a, ratio in filled.items() if ratio.startswith("0/")] == []
    # Every run in the demo's instance is one of the code location's named jobs, as the
    # schedules' and sensors' runs are (`__ephemeral_asset_job__` was what the UI listed).
    by_job = dict(item.rsplit(" ", 1) for item in BY_JOB.search(console)["list"].split(", "))
    jobs = {job.name for job in defs.get_repository_def().get_all_jobs()}
    assert set(by_job) == {name for name in jobs if not name.startswith("__")}
    assert len(console.splitlines()) <= MAX_CONSOLE_LINES, console[-4000:]
    assert "demo stack stopped" in console
    # The stopped demo stack saved its lake: `taxi-platform sql` counts the demo's Silver rows.
    count = "select count(*) from click_events"
    sql = subprocess.run(
        [str(Path(sys.executable).parent / "taxi-platform"), "sql", "--csv", "-c", count],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sql.stdout.splitlines()[-1:] == [str(summary["click_events"])], sql.stderr
    demo_stack = Stack(tmp_path / "demo")
    assert not demo_stack.is_up()

    demo_stack.up()
    try:
        reader = BiReader(demo_stack.env()["TAXI_BI_READER_URL"])
        assert empty_panels(reader, *picture_window(reader)) == []
    finally:
        demo_stack.down()
