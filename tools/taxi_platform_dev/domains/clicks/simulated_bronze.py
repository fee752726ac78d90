"""Bronze hour objects written straight from the log API simulator, without the landing job.

Why: the demo (when the logs domain has not produced a day), the tests and the benchmark need
days of bronze exactly as `api_logs` writes them — the simulator's records compressed with
the codec, grouped by the UTC hour of `inDate`, `encode_hour_object` at
`hour_object_key(hour)` — at any size, without running the 3-minute poller for a day.
Records the codec rejects are left out, as bronze quarantines them.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from taxi_platform.defs.logs.codec import (
    compress_records,
    encode_hour_object,
    group_by_hour,
    hour_object_key,
)
from taxi_platform_dev.domains.logs.simulator import LogApiSimulator

HOUR = timedelta(hours=1)
WRITERS = 8


def hour_records(simulator: LogApiSimulator, hour: datetime) -> list[dict[str, Any]]:
    """Compressed records whose `inDate` falls in the UTC `hour`, as served by the windows
    that overlap it (plus the next one: a duplicate may repeat the previous window's record)."""
    start = max(hour, simulator.config.start)
    first = simulator.window_at(start)
    last = simulator.window_at(max(hour + HOUR, start)) + 1
    served = [r for k in range(first, last + 1) for r in simulator.window_records(k)]
    compressed, _rejected = compress_records(served)
    return group_by_hour(compressed).get(hour, [])


def write_hours(
    s3_client: Any, bucket: str, simulator: LogApiSimulator, hours: Iterable[datetime]
) -> dict[datetime, int]:
    """Write each hour's bronze object; records per hour. The puts go to a few threads while
    the next hour is simulated (a week is 168 objects, each put a round trip)."""
    written = {}
    with ThreadPoolExecutor(WRITERS) as pool:
        puts = []
        for hour in hours:
            records = hour_records(simulator, hour)
            key, body = hour_object_key(hour), encode_hour_object(records)
            puts.append(pool.submit(s3_client.put_object, Bucket=bucket, Key=key, Body=body))
            written[hour] = len(records)
        for put in puts:
            put.result()
    return written
