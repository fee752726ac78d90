"""Benchmark: saving and loading moto's data (`stack down` / `up`), 4 requests in flight
against 1 (the baseline), interleaved in the same run.

Run by hand (not a test): `uv run python bench/bench_moto_state.py [--repeat 3] [--objects 500]`.
The lake is shaped like a one-day demo's: many small objects (the landing batches, ~12 KB)
and one larger (a TLC month, 20 MB), in a moto server of its own. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_common import load_average, machine

from taxi_platform_dev.local import moto_state
from taxi_platform_dev.local.moto import SERVERS, Endpoints, clients, launch_moto
from taxi_platform_dev.local.processes import free_port, terminate

REGION = "ap-northeast-2"


def _server(folder: Path) -> tuple[list[int], Endpoints]:
    """The stack's two servers (S3, DynamoDB), as `stack up` starts them."""
    launched = [launch_moto(folder, name, free_port()) for name in SERVERS]
    pids = [server.ready() for server in launched]
    s3, dynamodb = (f"http://127.0.0.1:{server.port}" for server in launched)
    return pids, Endpoints(s3, dynamodb)


def _stop(pids: list[int]) -> None:
    for pid in pids:
        terminate(pid)


def _lake(endpoint: Endpoints, objects: int) -> None:
    s3, _ = clients(endpoint, REGION)
    s3.create_bucket(Bucket="bench", CreateBucketConfiguration={"LocationConstraint": REGION})
    for n in range(objects):
        s3.put_object(Bucket="bench", Key=f"landing/{n:05}.json.gz", Body=os.urandom(12_000))
    s3.put_object(Bucket="bench", Key="raw/month.parquet", Body=os.urandom(20 * 2**20))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--objects", type=int, default=500)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average at start {load_average()}")
    times: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pids, endpoint = _server(folder / "source")
        try:
            _lake(endpoint, args.objects)
            saved = folder / "state.zip"
            moto_state.save(endpoint, REGION, saved, lambda _m: None)
        finally:
            _stop(pids)
        default = moto_state.THREADS
        for run in range(args.repeat):
            for threads in (1, default):
                moto_state.THREADS = threads
                pids, endpoint = _server(folder / f"run{run}-{threads}")
                try:
                    started = time.perf_counter()
                    moto_state.load(endpoint, REGION, saved, lambda _m: None)
                    loaded = time.perf_counter()
                    moto_state.save(endpoint, REGION, folder / "again.zip", lambda _m: None)
                    done = time.perf_counter()
                finally:
                    _stop(pids)
                    moto_state.THREADS = default
                times.setdefault(("load", threads), []).append(loaded - started)
                times.setdefault(("save", threads), []).append(done - loaded)
    print(f"load average at end {load_average()}")
    print(f"| {args.objects + 1} objects | threads | median of {args.repeat} (s) | / 1 thread |")
    print("|---|---:|---:|---:|")
    for (what, threads), seconds in sorted(times.items()):
        ratio = statistics.median(seconds) / statistics.median(times[(what, 1)])
        print(f"| {what} | {threads} | {statistics.median(seconds):.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
