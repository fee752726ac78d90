"""Independent round trips (S3 objects, DynamoDB items and scans) a few at a time.

One rule for every caller: each call is attempted, even after another failed, so a failure
never leaves the rest of a batch started or not at random; only then are the failures
reported, by the caller's own rule (raise the first, or name them all). The calls share one
boto3 client, which is thread-safe once built: callers build it before the threads start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attempt:
    item: Any
    value: Any = None
    error: BaseException | None = None


def attempt_in_threads(
    call: Callable[[Any], Any], items: Sequence[Any], workers: int
) -> list[Attempt]:
    """`call` of each item, `workers` at a time; every outcome, in `items` order."""
    if len(items) < 2 or workers < 2:
        return [_attempt(call, item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = [pool.submit(call, item) for item in items]
    return [
        Attempt(item, error=f.exception())
        if f.exception() is not None
        else Attempt(item, f.result())
        for item, f in zip(items, futures, strict=True)
    ]


def each_in_threads(call: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list:
    """`call` of each item, `workers` at a time; the results in `items` order, or, once every
    call has ended, the first failure in `items` order raised."""
    attempts = attempt_in_threads(call, items, workers)
    for attempt in attempts:
        if attempt.error is not None:
            raise attempt.error
    return [attempt.value for attempt in attempts]


def _attempt(call: Callable[[Any], Any], item: Any) -> Attempt:
    try:
        return Attempt(item, call(item))
    except Exception as error:
        return Attempt(item, error=error)
