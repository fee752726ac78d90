"""`api_logs_landing`: every log API batch, stored exactly as received (the old log ETL's extract).

Run every 3 minutes by `api_logs_landing_every_3_minutes`; a run waits until second
`fetch_second` (5) of the minute, then fetches the latest batch and every window it missed
(`cursor`), and writes each response untouched to
`landing/api_logs/<fetch date>/<fetch hour>/<fetched_at>_<batch_id>.json` (UTC).

- Once per batch: a batch id already under the fetch date or the day before is not written
  again (a poll that sees the same window twice, a retried run), whatever the cursor says.
  Batches are fetched one after another (the API is asked one window at a time) and written
  by a few threads meanwhile; the run ends once all are written.
- The cursor (newest window up to which everything landed) is the `cursor_window` metadata
  of the latest materialization: a failed run does not move it, so the next run fetches the
  same windows again and the batch-id check keeps them single.
- Failures: the resource retries each request (timeouts, backoff), the asset's RetryPolicy
  retries the run's step, and then the run fails with the error: never a silent gap.
- Replay (config `replay_first_window`/`replay_last_window`): land windows of a source that
  keeps history as if the schedule had fetched each at its `ArrivalTimeStamp` + fetch_second,
  so bronze attributes them to their own hours (demo, tests, recovery from a long outage).
  The real receive time is kept in the object's S3 metadata (`received-at`).
"""

import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

from taxi_platform.defs.logs import DOMAIN, sources
from taxi_platform.defs.logs.cursor import (
    LATEST_HEADER,
    WINDOW_HEADER,
    header_window,
    plan_catch_up,
    replay_fetched_at,
    seconds_to_wait,
)
from taxi_platform.defs.logs.layout import (
    batch_id_of,
    landing_date_prefix,
    landing_key,
    parse_landing_key,
)
from taxi_platform.freshness import missed_runs
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.log_api import LogApiResource, LogApiResponse
from taxi_platform.settings import every_minutes

CURSOR = "cursor_window"
WRITERS = 8  # concurrent puts of a run's batches
# The old log ETL: minutes 0, 3, …, 57 (`TAXI_LANDING_EVERY_MINUTES`, default 3).
LANDING_EVERY = every_minutes("TAXI_LANDING_EVERY_MINUTES")


class LandingConfig(dg.Config):
    fetch_second: int = Field(
        default=5, ge=0, le=59, description="Fetch at this second of the minute (seed: 5)."
    )
    max_catch_up_windows: int = Field(
        default=480, ge=1, description="Missed windows fetched per run (480 = a day)."
    )
    replay_first_window: int | None = Field(
        default=None, ge=0, description="Replay: land windows first…last as if on schedule."
    )
    replay_last_window: int | None = Field(default=None, ge=0)


class _Lander:
    """Writes responses to landing, once per batch id (ids listed per fetch date, cached).

    Which batches to write is decided here, in fetch order; the puts go to `pool`, so a
    catch-up or replay (hundreds of windows) fetches the next window while the last ones are
    written. `wait` returns once every put has, and raises a failed one's error."""

    def __init__(self, lake: LakeResource, pool: ThreadPoolExecutor) -> None:
        self.lake = lake
        self.pool = pool
        self.puts: list[Future] = []
        self.ids_by_date: dict[str, set[str]] = {}
        self.keys: list[str] = []
        self.already_landed = 0
        self.bytes = 0

    def _ids(self, date_prefix: str) -> set[str]:
        if date_prefix not in self.ids_by_date:
            names = map(parse_landing_key, self.lake.list_keys(date_prefix))
            self.ids_by_date[date_prefix] = {name.batch_id for name in names if name}
        return self.ids_by_date[date_prefix]

    def land(self, response: LogApiResponse, fetched_at: datetime) -> None:
        batch_id = batch_id_of(response.body)
        dates = [landing_date_prefix(fetched_at - timedelta(days=d)) for d in (1, 0)]
        if any(batch_id in self._ids(date) for date in dates):
            self.already_landed += 1
            return
        key = landing_key(fetched_at, batch_id)
        put = self.pool.submit(
            self.lake.get_client().put_object,
            Bucket=self.lake.bucket,
            Key=key,
            Body=response.body,
            ContentType="application/json",
            Metadata={"received-at": response.received_at.isoformat()},
        )
        self.puts.append(put)
        self._ids(dates[1]).add(batch_id)
        self.keys.append(key)
        self.bytes += len(response.body)

    def wait(self) -> None:
        for put in self.puts:
            put.result()


def _previous_cursor(context: dg.AssetExecutionContext) -> int | None:
    event = context.instance.get_latest_materialization_event(context.asset_key)
    value = event.asset_materialization.metadata.get(CURSOR) if event else None
    return int(value.value) if value is not None else None


def _replay(config: LandingConfig, log_api: LogApiResource, lander: _Lander) -> int:
    first, last = config.replay_first_window, config.replay_last_window
    if first is None or last is None or last < first:
        raise dg.Failure("replay needs replay_first_window <= replay_last_window, both set")
    for window in range(first, last + 1):
        response = log_api.fetch_response({"window": window})
        lander.land(response, replay_fetched_at(response.body, config.fetch_second))
    return last - first + 1


def _poll(
    context: dg.AssetExecutionContext,
    config: LandingConfig,
    log_api: LogApiResource,
    lander: _Lander,
) -> tuple[int, int | None]:
    """The latest batch and the windows missed since the cursor: (fetched, new cursor)."""
    time.sleep(seconds_to_wait(datetime.now(UTC), config.fetch_second))
    latest = log_api.fetch_response()
    lander.land(latest, latest.received_at)
    plan = plan_catch_up(
        _previous_cursor(context),
        header_window(latest.headers, WINDOW_HEADER),
        header_window(latest.headers, LATEST_HEADER),
        config.max_catch_up_windows,
    )
    if plan.restarted:
        context.log.warning("the log API numbers its windows from 0 again: cursor restarted")
    for window in plan.windows:
        response = log_api.fetch_response({"window": window})
        lander.land(response, response.received_at)
    return 1 + len(plan.windows), plan.cursor


@dg.asset(
    group_name="landing",
    deps=[sources.log_api],
    **DOMAIN.attributes("raw", tier=2),
    freshness_policy=missed_runs(LANDING_EVERY, warn=3, fail=5),
    kinds={"s3"},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
    description=(
        "Log API batches exactly as received (still Fernet-encrypted), one object per batch "
        "under `landing/api_logs/<fetch date>/<fetch hour>/<fetched_at>_<batch_id>.json` "
        "(UTC). Every 3 minutes at second 5; catches up missed windows; stores a batch once."
    ),
)
def api_logs_landing(
    context: dg.AssetExecutionContext,
    config: LandingConfig,
    lake: LakeResource,
    log_api: LogApiResource,
) -> dg.MaterializeResult:
    replay = config.replay_first_window is not None or config.replay_last_window is not None
    with ThreadPoolExecutor(WRITERS) as pool:  # on an error, the puts started still end
        lander = _Lander(lake, pool)
        if replay:
            fetched, cursor = _replay(config, log_api, lander), _previous_cursor(context)
        else:
            fetched, cursor = _poll(context, config, log_api, lander)
        lander.wait()
    metadata: dict = {
        "dagster/row_count": len(lander.keys),
        "batches_fetched": fetched,
        "batches_landed": len(lander.keys),
        "already_landed": lander.already_landed,
        "bytes": lander.bytes,
        "replay": replay,
        "last_keys": lander.keys[-5:],
    }
    if cursor is not None:
        metadata[CURSOR] = cursor
    return dg.MaterializeResult(metadata=metadata)
