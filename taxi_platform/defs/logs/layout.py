"""Object keys of the log pipeline and which hour owns what. Pure functions.

Keys (all times UTC, like the hour partitions):
    landing     landing/api_logs/<fetch date>/<fetch hour>/<fetched_at>_<batch_id>.json
                fetched_at = YYYYMMDDTHHMMSSffffffZ (sorts by time, parses back exactly);
                batch_id = the response's recordId, or a hash of the body when it has none
    bronze      logs/YYYY/MM/DD/HH/api_logs.jsonl.gz (`codec.hour_object_key`)
    quarantine  quarantine/api_logs/YYYY/MM/DD/HH/<landing object name>, one JSON document per
                landing object and hour, so a re-run replaces it instead of adding another
    late index  late/api_logs/YYYY/MM/DD/HH/<landing object name>: landing object fetched after
                hour HH's read window that holds valid records of HH (body: its landing key)

Attribution. Landing is cut by arrival (fetch) time, bronze by event time (`inDate`), and a
batch can hold records of two hours (the window that ends at HH:00 is fetched at HH:00:05).
Every record, and every batch that cannot be read, is attributed to exactly one hour:
    - a valid record whose UTC hour R was fetched in [R, R + MAX_LATENESS) belongs to R and
      is written to R's bronze object: in time (before R + 1 h + GRACE) or late, late data
      is data;
    - everything else belongs to the fetch hour F of its landing object, which quarantines it
      with the reason: batches that do not decrypt or parse, records that do not validate
      (an invalid record fetched in time goes to its own hour R instead), records without a
      usable `inDate`, records from the future (R after the fetch: the source's clock or the
      record is wrong, and no later fetch makes it right: "FromTheFuture") and records
      fetched MAX_LATENESS (7 days) or more after R began ("TooLate": their days' Silver and
      Gold are no longer re-opened; reprocess by hand).
Hour H reads the landing objects fetched in [H, H + 1 h + GRACE), i.e. two fetch hour folders,
plus the landing objects its late index lists. The index is written by the fetch hour that
owns the landing object (the hour of its fetched_at), which decrypts it anyway; that run's
metadata `late_hours` names the hours it indexed, and the sensor `api_logs_late_hours`
re-materializes each of them. So `landed = written + quarantined + duplicates` holds hour by
hour, and every record is counted by exactly one hour. Landing is append-only (until its
retention expires it), so an hour's index only grows and re-running any hour gives the
same bytes.
GRACE is why `api_logs` runs at HH:15: the hour just closed is complete by HH:10 unless late.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LANDING_PREFIX = "landing/api_logs/"
QUARANTINE_PREFIX = "quarantine/api_logs/"
LATE_PREFIX = "late/api_logs/"
HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=10)
# How late a record may arrive and still land in its hour: a bound on how far back an
# arrival re-opens bronze hours and the Silver/Gold days built on them.
MAX_LATENESS = timedelta(days=7)
_FETCHED_AT = "%Y%m%dT%H%M%S%fZ"
_BATCH_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_LANDING_KEY = re.compile(
    r"^landing/api_logs/\d{4}-\d{2}-\d{2}/\d{2}/(?P<at>\d{8}T\d{12}Z)_(?P<batch>[A-Za-z0-9._-]+)\.json$"
)


@dataclass(frozen=True)
class LandingName:
    key: str
    fetched_at: datetime
    batch_id: str

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[1]


def floor_hour(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def landing_key(fetched_at: datetime, batch_id: str) -> str:
    at = fetched_at.astimezone(UTC)
    return f"{LANDING_PREFIX}{at:%Y-%m-%d}/{at:%H}/{at:{_FETCHED_AT}}_{batch_id}.json"


def landing_hour_prefix(fetch_hour: datetime) -> str:
    at = fetch_hour.astimezone(UTC)
    return f"{LANDING_PREFIX}{at:%Y-%m-%d}/{at:%H}/"


def landing_date_prefix(fetched_at: datetime) -> str:
    return f"{LANDING_PREFIX}{fetched_at.astimezone(UTC):%Y-%m-%d}/"


def parse_landing_key(key: str) -> LandingName | None:
    """The fetch time and batch of a landing key; None for a key outside the layout."""
    match = _LANDING_KEY.match(key)
    if match is None:
        return None
    fetched_at = datetime.strptime(match["at"], _FETCHED_AT).replace(tzinfo=UTC)
    if landing_key(fetched_at, match["batch"]) != key:  # folder must match the fetch time
        return None
    return LandingName(key, fetched_at, match["batch"])


def batch_id_of(body: bytes) -> str:
    """The response's `recordId` when it is a safe key part, else `sha256-<hash of body>`:
    either way the same batch always gets the same id, which is what de-duplicates landing."""
    try:
        record_id = json.loads(body).get("recordId")
    except (ValueError, AttributeError, RecursionError):  # RecursionError: too deeply nested
        record_id = None
    if isinstance(record_id, str) and _BATCH_ID.fullmatch(record_id):
        return record_id
    return "sha256-" + hashlib.sha256(body).hexdigest()[:32]


def quarantine_prefix(hour: datetime) -> str:
    return f"{QUARANTINE_PREFIX}{hour.astimezone(UTC):%Y/%m/%d/%H}/"


def quarantine_key(hour: datetime, landing: LandingName) -> str:
    return quarantine_prefix(hour) + landing.name


def late_prefix(hour: datetime) -> str:
    return f"{LATE_PREFIX}{hour.astimezone(UTC):%Y/%m/%d/%H}/"


def late_key(hour: datetime, landing: LandingName) -> str:
    return late_prefix(hour) + landing.name


def landing_of_late_key(key: str) -> LandingName | None:
    """The landing object a late index key names; None for a key outside the layout."""
    name = key.rsplit("/", 1)[-1]
    at = name.split("_", 1)[0]
    try:
        fetched_at = datetime.strptime(at, _FETCHED_AT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return parse_landing_key(f"{landing_hour_prefix(fetched_at)}{name}")


def in_time(event_hour: datetime, fetched_at: datetime) -> bool:
    return event_hour <= fetched_at < event_hour + HOUR + GRACE


def late(event_hour: datetime, fetched_at: datetime) -> bool:
    """After the hour's read window but within MAX_LATENESS: still the hour's record."""
    return event_hour + HOUR + GRACE <= fetched_at < event_hour + MAX_LATENESS


def attributed_hour(fetched_at: datetime, event_hour: datetime | None) -> datetime:
    """The hour that accounts for a record that is quarantined (module docstring): its own
    if fetched in time, else the fetch hour. None = no usable inDate. A valid record fetched
    late is its own hour's (`late`), whatever this says."""
    if event_hour is not None and in_time(event_hour, fetched_at):
        return event_hour
    return floor_hour(fetched_at)


def read_window(hours: list[datetime]) -> tuple[datetime, datetime]:
    """Fetch times whose landing objects can hold anything attributed to `hours` (ascending)."""
    return hours[0], hours[-1] + HOUR + GRACE


def fetch_hours(hours: list[datetime]) -> list[datetime]:
    """The landing folders that cover `read_window(hours)`."""
    start, end = read_window(hours)
    return [start + i * HOUR for i in range(int((floor_hour(end) - start) / HOUR) + 1)]


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """The hours of a partition time window [start, end)."""
    return [start.astimezone(UTC) + i * HOUR for i in range(int((end - start) / HOUR))]
