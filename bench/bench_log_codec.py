"""Benchmark (run by hand, not a test): one hour of log records, decrypt -> compress -> gzip.

    uv run python bench/bench_log_codec.py [--records 1000000] [--seed 0] [--repeat 1]

The hour is what the simulator serves at that rate: 20 three-minute windows of records/20
records each, one Fernet token per window. Every approach starts from the same tokens and
ends with the bytes of one gzip object; setup (generation, encryption) is not timed.

    project   what `api_logs` computes between reading landing and writing the lake: the
              landing objects (API responses holding the tokens) through
              `bronze.build_hours` (decrypt, validate and compress every record, group by
              hour, drop duplicates, the hour object's text) and `codec.encode_hour_text`
              (one gzip call at GZIP_LEVEL)
    seed      the old log ETL's code as written: per record dict copy,
              b64uuid per id half, method map,
              inDate via datetime, json.dumps, one GzipFile.write per line (gzip level 9,
              GzipFile's default); no validation. Run a second time at GZIP_LEVEL to show
              how much of the gain is the gzip level alone.
    floor     Fernet decryption + one gzip call (GZIP_LEVEL) on the decrypted bytes: what
              no codec can go below
Ratios are against the seed approach and against the floor, measured in the same run
("of floor" = floor seconds / approach seconds: 100 % would be a codec that costs nothing
beyond decryption and gzip). The load average is printed beside them. Every approach runs on
one thread, so its CPU seconds (`time.process_time`) are its cost on an idle core: on a
shared, loaded machine they vary far less than wall seconds, which include waiting for a
core; both are shown, each the best of the rounds.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import io
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from b64uuid import B64UUID
from cryptography.fernet import Fernet

from taxi_platform.defs.logs.bronze import LandedBatch, build_hours
from taxi_platform.defs.logs.codec import (
    GZIP_LEVEL,
    decode_hour_object,
    decompress_records,
    encode_hour_text,
)
from taxi_platform.defs.logs.layout import LandingName, landing_key
from taxi_platform_dev.domains.logs.simulator import LogApiSimulator, SimulatorConfig

WINDOWS_PER_HOUR = 20
HOUR = datetime(2026, 11, 21, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=3)


@dataclass(frozen=True)
class Served:
    """One hour as served: its tokens, and the same tokens as landing objects (API responses,
    each fetched five seconds after its window ends, so all are read by the hour)."""

    tokens: list[bytes]
    landed: list[LandedBatch]


def project(hour: Served, fernet: Fernet) -> bytes:
    run = build_hours(hour.landed, [HOUR], fernet)
    output = run.hours[HOUR]
    if output.quarantine:
        raise AssertionError(f"simulator records set aside: {output.quarantine_reasons}")
    return encode_hour_text(output.text)


def landed(tokens: list[bytes]) -> list[LandedBatch]:
    batches = []
    for index, token in enumerate(tokens):
        fetched_at = HOUR + (index + 1) * WINDOW + timedelta(seconds=5)
        name = LandingName(landing_key(fetched_at, f"w{index}"), fetched_at, f"w{index}")
        body = json.dumps({"recordId": f"w{index}", "data": token.decode()}).encode()
        batches.append(LandedBatch(name, body))
    return batches


def seed(hour: Served, fernet: Fernet, level: int = 9) -> bytes:
    def b64_change_44(user_id: str) -> str:
        return B64UUID(user_id[:32]).string + B64UUID(user_id[32:]).string

    def method_mapping(method: str) -> int:
        return {"GET": 1, "POST": 2}[method]

    def short_date(in_date: str) -> str:
        return datetime.fromisoformat(in_date).strftime("%Y%m%d%H%M%S%f%z")

    def compress_log(log: dict) -> dict:
        tmp = log.copy()
        tmp["user_id"] = b64_change_44(tmp["user_id"])
        tmp["method"] = method_mapping(tmp["method"])
        tmp["inDate"] = short_date(tmp["inDate"])
        return tmp

    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=level, mtime=0) as out:
        for token in hour.tokens:
            for log in json.loads(fernet.decrypt(token).decode("utf-8")):
                out.write((json.dumps(compress_log(log)) + "\n").encode("utf-8"))
    return buffer.getvalue()


def floor(hour: Served, fernet: Fernet) -> bytes:
    plaintext = b"".join(fernet.decrypt(token) for token in hour.tokens)
    return gzip.compress(plaintext, compresslevel=GZIP_LEVEL, mtime=0)


APPROACHES: dict[str, tuple[str, Callable[[Served, Fernet], bytes]]] = {
    "seed (baseline)": ("per record, gzip level 9", seed),
    "seed, our gzip level": (
        f"per record, gzip level {GZIP_LEVEL}",
        partial(seed, level=GZIP_LEVEL),
    ),
    "project": (f"bronze.build_hours + encode_hour_text, gzip level {GZIP_LEVEL}", project),
    "floor": (f"Fernet + gzip level {GZIP_LEVEL} only", floor),
}


def hour_of_tokens(records: int, seed_value: int, fernet: Fernet) -> tuple[list[bytes], list[dict]]:
    config = SimulatorConfig(
        start=HOUR,
        seed=seed_value,
        records_per_window=max(1, records // WINDOWS_PER_HOUR),
    )
    simulator = LogApiSimulator(config)
    windows = [simulator.window(k) for k in range(WINDOWS_PER_HOUR)]
    tokens = [fernet.encrypt(window.payload) for window in windows]
    return tokens, [record for window in windows for record in window.records]


def check_round_trip(blob: bytes, originals: list[dict]) -> None:
    """The project's object must give back exactly the served records (as a multiset)."""
    decompressed, rejected = decompress_records(decode_hour_object(blob))

    def canonical(records: list[dict]) -> list[str]:
        return sorted(json.dumps(record, sort_keys=True) for record in records)

    if rejected or canonical(decompressed) != canonical(originals):
        raise AssertionError("the hour object does not round-trip to the served records")


def machine() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        models = [
            line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
        ]
    cpu = models[0] if models else platform.processor()
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per approach")
    args = parser.parse_args()

    fernet = Fernet(Fernet.generate_key())
    started = time.perf_counter()
    tokens, originals = hour_of_tokens(args.records, args.seed, fernet)
    hour = Served(tokens, landed(tokens))
    setup = time.perf_counter() - started
    print(
        f"{len(originals):,} records in {len(tokens)} tokens, {sum(map(len, tokens)) / 1e6:.0f} MB"
    )
    print(f"setup {setup:.1f} s; {machine()}\n")

    load_before = os.getloadavg()
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    blobs: dict[str, bytes] = {}
    for _ in range(args.repeat):  # rounds interleave approaches, so load spikes hit all alike
        for name, (_, run) in APPROACHES.items():
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            blobs[name] = run(hour, fernet)
            cpu[name] = min(cpu.get(name, float("inf")), time.process_time() - started_cpu)
            wall[name] = min(wall.get(name, float("inf")), time.perf_counter() - started)
    check_round_trip(blobs["project"], originals)

    print(f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(
        "| approach | how | CPU s | records/s (CPU) | vs seed (CPU) | of floor (CPU) "
        "| wall s | of floor (wall) | output MB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (how, _) in APPROACHES.items():
        print(
            f"| {name} | {how} | {cpu[name]:.2f} | {len(originals) / cpu[name]:,.0f} "
            f"| {cpu['seed (baseline)'] / cpu[name]:.2f}x | {cpu['floor'] / cpu[name]:.0%} "
            f"| {wall[name]:.2f} | {wall['floor'] / wall[name]:.0%} "
            f"| {len(blobs[name]) / 1e6:.1f} |"
        )


if __name__ == "__main__":
    main()
