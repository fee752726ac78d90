"""Benchmark: one partition from the shell (`dagster asset materialize`) against the same run
in process, each a fresh Python process, wall time from start to exit.

Run by hand (not a test): `uv run python bench/bench_shell_partition.py [--repeat 3]`.
Starts its own embedded stack in a temporary folder. Per round and asset, in turn:
- shell: `dagster asset materialize -m taxi_platform.definitions --select <asset>
  [--partition <day>]`, what users, CI and `taxi-platform` run (the run's steps execute
  with the code location's executor);
- in process: `python -c` importing the code location and calling the implicit asset job's
  `execute_in_process` on the same instance (the same asset, its checks, the same resources);
- import: `python -c "import taxi_platform.definitions"`, the part of both that is loading.
`daily_zone_stats` gets a fresh business day of counters (seeded before the clock starts)
for every run; `taxi_zones` is unpartitioned. Prints a Markdown table of medians with the
load average; ratio = shell / in process from the same rounds.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench_common import bench_stack

IN_PROCESS = """
import sys
import dagster as dg
from taxi_platform.definitions import defs
job = defs.get_implicit_global_asset_job_def()
result = job.execute_in_process(
    instance=dg.DagsterInstance.get(),
    partition_key=sys.argv[2] or None,
    asset_selection=[dg.AssetKey(sys.argv[1])],
)
assert result.success
"""


def seed_day(model, day: date) -> None:
    """A simulated business day of counters, for `daily_zone_stats` to close."""
    from taxi_platform_tests.counters.helpers import seed_counters

    start = datetime(day.year, day.month, day.day, 3, tzinfo=ZoneInfo("Asia/Seoul"))
    traffic = model.increments(start, start + timedelta(days=1))
    seed_counters(
        {e["zone"]: e["dispatch"] for e in traffic},
        {e["zone"]: e["pickup"] for e in traffic if e["pickup"]},
    )


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} … failed:\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assets", nargs="+", default=["daily_zone_stats", "taxi_zones"])
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, bench_stack(Path(tmp)):
        env = dict(os.environ)  # bench_stack put the stack's settings there
        from taxi_platform.settings import zones_csv_default
        from taxi_platform_dev.domains.counters.simulator import TrafficModel, load_zone_rows

        model = TrafficModel(load_zone_rows(zones_csv_default()), seed=0)
        days = (date(2025, 9, 1) + timedelta(days=i) for i in range(10_000))
        load_before = os.getloadavg()
        for _ in range(args.repeat):
            import_s = timed([sys.executable, "-c", "import taxi_platform.definitions"], env)
            times.setdefault(("(import)", "import"), []).append(import_s)
            for asset in args.assets:
                for way in ("shell", "in process"):
                    partition = ""
                    if asset == "daily_zone_stats":
                        partition = next(days).isoformat()
                        seed_day(model, date.fromisoformat(partition))
                    if way == "shell":
                        command = [str(bin_dir / "dagster"), "asset", "materialize"]
                        command += ["-m", "taxi_platform.definitions", "--select", asset]
                        command += ["--partition", partition] if partition else []
                    else:
                        command = [sys.executable, "-c", IN_PROCESS, asset, partition]
                    times.setdefault((asset, way), []).append(timed(command, env))
        load_after = os.getloadavg()
    median = {key: statistics.median(t) for key, t in times.items()}
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(
        "| asset | shell s (median) | in process s (median) | shell / in process | min–max shell |"
    )
    print("|---|---:|---:|---:|---|")
    for asset in args.assets:
        shell, inproc = median[(asset, "shell")], median[(asset, "in process")]
        low, high = min(times[(asset, "shell")]), max(times[(asset, "shell")])
        print(
            f"| {asset} | {shell:.2f} | {inproc:.2f} | {shell / inproc:.2f}× | "
            f"{low:.2f}–{high:.2f} |"
        )
    imports = times[("(import)", "import")]
    print(
        f"\nimport of the code location: median {median[('(import)', 'import')]:.2f} s, "
        f"min {min(imports):.2f} s"
    )


if __name__ == "__main__":
    main()
