"""Benchmark: cold start of the embedded stack.

Run by hand (not a test): `uv run python bench/bench_stack.py [--repeat 5]`.
Prints a Markdown table of medians; copy it into bench/RESULTS.md with the machine.
Cold start = a new stack folder each time (initdb + roles + DDL, and meanwhile the two moto
servers; bucket/tables),
measured until `up()` returns (every service answering). One materialization from the shell
is measured, against the same run in process, by bench_shell_partition.py.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from taxi_platform_dev.local.stack import Stack


def cold_start(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack(Path(tmp) / "stack", say=lambda _m: None)
            started = time.perf_counter()
            stack.up()
            times.append(time.perf_counter() - started)
            stack.down()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = [
        ("embedded stack cold start (s to ready)", cold_start(args.repeat)),
    ]
    print(f"| measure | median of {args.repeat} | min | max |")
    print("|---|---|---|---|")
    for name, times in rows:
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
