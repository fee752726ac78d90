"""Benchmark: moto's CPU per DynamoDB `UpdateItem` over HTTP, the stack's DynamoDB server
(`moto_server.py --service dynamodb`: DynamoDB's app directly) against the same server with
moto's dispatcher (the baseline: what served DynamoDB before it had a server of its own).

Run by hand (not a test): `uv run python bench/bench_moto_dynamodb.py [--updates 2000]`.
Each variant is a fresh server; `WRITERS` client threads send the counters' `ADD count :n`
(the simulator's `add_count`) over 263 zones, after a warm-up. The server's CPU seconds come
from /proc (it is one process, one request at a time: its CPU per request is the counters'
floor). Prints a Markdown table; the variants alternate, `--repeat` times.
"""

import argparse
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench_common import load_average, machine
from bench_counters_demo import cpu_seconds

from taxi_platform_dev.domains.counters.simulator import WRITERS, add_count
from taxi_platform_dev.local.moto import session
from taxi_platform_dev.local.processes import free_port, terminate, wait_for_port

SERVER = [sys.executable, "-m", "taxi_platform_dev.local.moto_server", "-H", "127.0.0.1"]
VARIANTS = {"one service (the stack's)": ["--service", "dynamodb"], "dispatcher (before)": []}
ZONES = 263


def per_update(extra: list[str], updates: int) -> tuple[float, float]:
    """(server CPU ms, wall ms) per UpdateItem of a fresh server."""
    port = free_port()
    server = subprocess.Popen([*SERVER, "-p", str(port), *extra])
    try:
        wait_for_port(port, 30, "moto server")
        client = session("ap-northeast-2").client(
            "dynamodb", endpoint_url=f"http://127.0.0.1:{port}"
        )
        client.create_table(
            TableName="bench",
            KeySchema=[{"AttributeName": "zone_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "zone_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

        def add(n: int) -> None:
            add_count(client, "bench", "zone_id", f"zone-{n % ZONES}", 1)

        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(add, range(ZONES)))  # warm-up: every item exists
            cpu, wall = cpu_seconds(server.pid), time.monotonic()
            list(pool.map(add, range(updates)))
            wall, cpu = time.monotonic() - wall, cpu_seconds(server.pid) - cpu
        return cpu / updates * 1000, wall / updates * 1000
    finally:
        terminate(server.pid)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {load_average()}")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeat):
        for name, extra in VARIANTS.items():
            runs[name].append(per_update(extra, args.updates))
    print(f"load average after: {load_average()}\n")
    print(
        f"| server ({args.updates} UpdateItems, {WRITERS} writers, median of {args.repeat}) "
        "| server CPU ms / update | wall ms / update | CPU / dispatcher's |"
    )
    print("|---|---:|---:|---:|")
    baseline = statistics.median(cpu for cpu, _ in runs["dispatcher (before)"])
    for name, measured in runs.items():
        cpu = statistics.median(c for c, _ in measured)
        wall = statistics.median(w for _, w in measured)
        print(f"| {name} | {cpu:.2f} | {wall:.2f} | {cpu / baseline:.2f}× |")


if __name__ == "__main__":
    main()
