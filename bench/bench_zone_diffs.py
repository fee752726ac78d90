"""Benchmark: `zone_diff_stats` arithmetic over a backfill window (pure functions, no stack).

Run by hand (not a test): `uv run python bench/bench_zone_diffs.py [--repeat 3]`.
Prints a Markdown table of medians for RESULTS.md. Speed-up = baseline seconds / ours.

- baseline: what `hourly.diff_window` did until 2026-11-27, `hourly_zone_diffs` of each hour
  over every snapshot and reset of the run (the work per hour grows with the window);
- ours: `diff_window`, which hands each hour only its zones' last snapshots before it, the
  snapshots within it and the resets in between (`hourly._per_hour`).
Inputs: 260 zones with growing counters and a reset every 03:00, as the demo simulates:
(a) 14 days of hourly snapshots (the demo's `--days 14`: 337 × 260 rows, 336 hours);
(b) 2 days of 5-minute snapshots (the schedule's cadence: 577 × 260 rows, 48 hours).
"""

import argparse
import contextlib
import random
import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from taxi_platform.defs.counters.hourly import GRACE, HOUR, diff_window, hour_starts
from taxi_platform.defs.counters.items import CounterDataError
from taxi_platform.defs.counters.stats import Reset, Snapshot, hourly_zone_diffs

START = datetime(2025, 8, 25, 3, tzinfo=ZoneInfo("Asia/Seoul"))
ZONES = [f"zone {i:03d}" for i in range(260)]


def counters(days: int, every: timedelta) -> tuple[list[Snapshot], list[Reset]]:
    rng = random.Random(0)
    snapshots, resets = [], []
    dispatch, pickup = dict.fromkeys(ZONES, 0), dict.fromkeys(ZONES, 0)
    at, end = START, START + timedelta(days=days)
    while at <= end:
        if at > START and (at - START) % timedelta(days=1) == timedelta(0):
            snapshots += [Snapshot(at, z, dispatch[z], pickup[z]) for z in ZONES]
            resets += [Reset(at + timedelta(seconds=30), z, dispatch[z], pickup[z]) for z in ZONES]
            dispatch, pickup = dict.fromkeys(ZONES, 0), dict.fromkeys(ZONES, 0)
        else:
            snapshots += [Snapshot(at, z, dispatch[z], pickup[z]) for z in ZONES]
        for zone in ZONES:
            dispatch[zone] += rng.randrange(3)
            pickup[zone] += rng.randrange(2)
        at += every
    return snapshots, resets


def baseline(snapshots, resets, start, end) -> int:
    rows = 0
    for hour in hour_starts(start, end):
        with contextlib.suppress(CounterDataError):  # an hour without snapshots: no rows
            diffs = hourly_zone_diffs(snapshots, hour + GRACE, hour + HOUR + GRACE, resets)
            rows += len(diffs.rows)
    return rows


def ours(snapshots, resets, start, end) -> int:
    return len(diff_window(snapshots, resets, start, end).rows)


def median_seconds(fn, args, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = fn(*args)
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| window | snapshot rows | hours | baseline s | ours s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, days, every in (
        ("14 days, hourly snapshots", 14, HOUR),
        ("2 days, 5-minute snapshots", 2, timedelta(minutes=5)),
    ):
        snapshots, resets = counters(days, every)
        window = (snapshots, resets, START, START + timedelta(days=days))
        base, base_rows = median_seconds(baseline, window, args.repeat)
        mine, my_rows = median_seconds(ours, window, args.repeat)
        assert base_rows == my_rows, (base_rows, my_rows)
        print(
            f"| {label} | {len(snapshots):,} | {days * 24} | {base:.2f} | {mine:.2f} "
            f"| {base / mine:.0f}x |"
        )


if __name__ == "__main__":
    main()
