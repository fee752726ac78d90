"""The configuration catalogue: every environment variable the platform reads, in one place.

Why a catalogue: one switch (`TAXI_PLATFORM_ENV`) and a table of variables configure everything.
Keeping them here lets the wiring, the `stack env` printer, the README table and the
configuration errors agree. Nothing here reads a secret's value: wiring passes `dg.EnvVar`
so Dagster resolves it at run time and the UI shows only the variable's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # imported where used: the tooling's CLI reads settings without Dagster
    import dagster as dg

ENV_SWITCH = "TAXI_PLATFORM_ENV"
ENVIRONMENTS = ("local", "aws")

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"  # reference data shipped with the code
SPARK_JOBS_DIR = REPO_ROOT / "spark" / "jobs"
SPARK_CONF_DIR = REPO_ROOT / "spark" / "conf"
INFRA_DIR = REPO_ROOT / "infra"


class ConfigError(RuntimeError):
    """A configuration problem, stated in one line with the variable and the fix."""


# A value check: None when `value` is acceptable, else "is not X: do Y" (the rest of the line
# after the variable's name). Pure: no network, so it runs when the code location loads.
Check = Callable[[str], str | None]


ENGINES = ("duckdb", "spark")
SPARK_INPUT_MODES = ("stage", "s3a")


def _one_of(*choices: str, fold: Callable[[str], str] = str.lower) -> Check:
    def check(value: str) -> str | None:
        if fold(value.strip()) in choices:
            return None
        return f"is not one of {', '.join(choices)}: set one of them, or unset it for the default"

    return check


def _pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex)
    fix = f"is not {what}: correct it, or unset it for the default"
    return lambda value: None if compiled.fullmatch(value) else fix


def _divides_hour(value: str) -> str | None:
    if value.isdigit() and int(value) >= 1 and 60 % int(value) == 0:
        return None
    return "is not a number of minutes dividing an hour: use a divisor of 60 (e.g. 3, 5, 15)"


def _cron(value: str) -> str | None:
    from dagster._utils.schedules import is_valid_cron_string  # the daemon's own parser

    return None if is_valid_cron_string(value) else "is not a cron string: set five fields"


def _postgres_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        return "is not a libpq URI: use postgresql://role:password@host:5432/database"
    try:
        parts.port  # noqa: B018  (a non-numeric port raises here)
    except ValueError:
        return "has a port that is not a number: use postgresql://role:password@host:5432/database"
    return None


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.hostname and " " not in value:
        return None
    return "is not an http(s) URL: use e.g. https://logs.example.com/logs"


def _fernet_key(value: str) -> str | None:
    from cryptography.fernet import Fernet  # only needed when the key is set

    try:
        Fernet(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return "is not a Fernet key (32 url-safe base64-encoded bytes): use the log API's key"
    return None


def _time_zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not an IANA time zone: use e.g. Asia/Seoul (the default) or UTC"
    return None


def _zones_location(value: str) -> str | None:
    if value.startswith(("http://", "https://")):
        return _http_url(value)
    if value.startswith("s3://"):
        bucket, _, key = value[5:].partition("/")
        return None if bucket and key else "is not an s3://bucket/key URI"
    if Path(value).is_file():
        return None
    return "is neither an http(s) URL, an s3://bucket/key URI nor an existing file"


def _absolute_folder(value: str) -> str | None:
    """A folder named absolutely: the images and the cache set it so, and a relative one would
    depend on where each process starts."""
    if Path(value).is_absolute() and not Path(value).is_file():
        return None
    return "is not an absolute folder path: e.g. /opt/spark-jars, or unset it for the cache"


def _first(form: str, example: str) -> Check:
    """A first partition: a date of `form` (strftime) before the current day or month (UTC),
    so that the partition set it starts has at least one closed partition."""

    def check(value: str) -> str | None:
        try:
            first = datetime.strptime(value, form)
        except ValueError:
            return f"is not a date like {example}: set when the platform's data starts"
        if first >= datetime.strptime(datetime.now(UTC).strftime(form), form):
            return "is not in the past: set when the platform's data starts (a closed period)"
        return None

    return check


_TABLE = _pattern(r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)")


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str
    secret: bool = False
    required_in_aws: bool = False
    check: Check | None = None


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            ENV_SWITCH, "local", "`local` embedded stack, or `aws`", check=_one_of(*ENVIRONMENTS)
        ),
        Setting(
            "AWS_REGION",
            "ap-northeast-2",
            "AWS region (boto3 standard variable)",
            check=_pattern(r"[a-z]{2}(-[a-z]+)+-\d", "an AWS region such as ap-northeast-2"),
        ),
        Setting(
            "TAXI_LAKE_BUCKET",
            "taxi-platform-lake",
            "object store bucket",
            check=_pattern(
                r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
                "an S3 bucket name (3-63 of a-z 0-9 . -, starting and ending alphanumeric)",
            ),
        ),
        Setting(
            "TAXI_PICKUP_TABLE", "pickup-zone-dynamodb-s", "DynamoDB pickups per zone", check=_TABLE
        ),
        Setting(
            "TAXI_FLAG_TABLE", "flag-dynamodb-s", "DynamoDB dispatch/pickup totals", check=_TABLE
        ),
        Setting(
            "TAXI_ZONE_DISPATCH_TABLE",
            "zone-count-dynamodb",
            "DynamoDB dispatches per zone",
            check=_TABLE,
        ),
        Setting(
            "TAXI_DESTINATION_TABLE",
            "taxi-destination-dynamodb",
            "DynamoDB taxi assignments",
            check=_TABLE,
        ),
        Setting(
            "TAXI_POSTGRES_URL",
            None,
            "libpq URI of database `postgres` (spark_writer)",
            secret=True,
            required_in_aws=True,
            check=_postgres_url,
        ),
        Setting(
            "TAXI_DAILY_STATS_URL",
            None,
            "libpq URI of database `daily_stats_db` (stats_writer)",
            secret=True,
            required_in_aws=True,
            check=_postgres_url,
        ),
        Setting(
            "TAXI_GOLD_URL",
            None,
            "libpq URI of database `gold` (gold_writer)",
            secret=True,
            required_in_aws=True,
            check=_postgres_url,
        ),
        Setting(
            "TAXI_BI_READER_URL",
            None,
            "libpq URI of the read-only `bi_reader` role (Grafana, Superset)",
            secret=True,
            check=_postgres_url,
        ),
        Setting(
            "TAXI_LOG_API_URL",
            None,
            "log API endpoint (the simulator locally)",
            required_in_aws=True,
            check=_http_url,
        ),
        Setting(
            "TAXI_LOG_FERNET_KEY",
            None,
            "Fernet key of the log API",
            secret=True,
            required_in_aws=True,
            check=_fernet_key,
        ),
        Setting(
            "TAXI_SPARK_MASTER",
            "local[2]",
            "`local[N]`, `spark://host:7077`, …",
            check=_pattern(
                r"local(\[(\d+|\*)\])?|spark://[A-Za-z0-9.-]+(:\d+)?|yarn|k8s://\S+",
                "a Spark master: local[N], spark://host:7077, yarn or k8s://…",
            ),
        ),
        Setting(
            "TAXI_ENGINE",
            None,
            "engine of the SQL models: `duckdb` (one machine, the local default) or `spark` (the "
            "cluster of TAXI_SPARK_MASTER, the aws default)",
            check=_one_of(*ENGINES),
        ),
        Setting(
            "TAXI_TIMEZONE",
            "Asia/Seoul",
            "schedules, the counters' business day, the marts' local hours and days, and every "
            "hour and day the dashboards show",
            check=_time_zone,
        ),
        Setting(
            "TAXI_SPARK_INPUT_MODE",
            None,
            "`stage` (copy S3 inputs to the driver) or `s3a` (a cluster with hadoop-aws)",
            check=_one_of(*SPARK_INPUT_MODES),
        ),
        Setting(
            "TAXI_SPARK_REMOTE",
            None,
            "Spark Connect server for the spark engine's SQL models (else a spark-submit per run)",
            secret=True,  # its `/;token=…` parameter, when the server wants one
            check=_pattern(
                r"sc://[A-Za-z0-9.-]+(:\d+)?(/(;[A-Za-z0-9_.-]+=[^;\s]*)*)?",
                "a Spark Connect URL such as sc://host:15002",
            ),
        ),
        Setting(
            "TAXI_SPARK_JARS_DIR",
            None,
            "folder of spark/pom.xml's jars for s3a (default: the `spark jars` cache)",
            check=_absolute_folder,
        ),
        Setting(
            "TAXI_SPARK_LOG_LEVEL",
            "WARN",
            "Spark driver log level (`INFO` to debug a job)",
            check=_one_of(
                "OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL", fold=str.upper
            ),
        ),
        Setting(
            "TAXI_ZONES_URL",
            None,
            "TLC zone table CSV (http(s) URL, s3:// URI or path)",
            check=_zones_location,
        ),
        Setting(
            "TAXI_GIT_URL",
            None,
            "repository the UI links asset code to (else local files)",
            check=_pattern(r"https://[A-Za-z0-9.-]+/\S+", "an https URL of the repository"),
        ),
        Setting(
            "TAXI_GIT_BRANCH",
            "main",
            "branch of `TAXI_GIT_URL` the code links point at",
            check=_pattern(r"[A-Za-z0-9][A-Za-z0-9._/-]*", "a branch name"),
        ),
        # Cadences: read when the definitions load (schedules and sensors are built from
        # them), so one code location serves production and a test that needs minutes.
        Setting(
            "TAXI_SNAPSHOT_EVERY_MINUTES",
            "5",
            "counter snapshots (`zone_hourly_activity_log`) every N minutes (N divides 60)",
            check=_divides_hour,
        ),
        Setting(
            "TAXI_LIVE_VIEW_EVERY_MINUTES",
            "5",
            "Grafana's live tables (`counters_live_view`) every N minutes (N divides 60)",
            check=_divides_hour,
        ),
        Setting(
            "TAXI_LANDING_EVERY_MINUTES",
            "3",
            "log API landing (`api_logs_landing`) every N minutes (N divides 60)",
            check=_divides_hour,
        ),
        Setting(
            "TAXI_API_LOGS_CRON",
            "15 * * * *",
            "cron (UTC) after which `api_logs` builds the hour just closed",
            check=_cron,
        ),
        # Where each domain's partitions start: the first day (month) the platform has data
        # for, so the UI's partition bars measure the data's own span, not an arbitrary past.
        Setting(
            "TAXI_COUNTERS_FIRST_DAY",
            "2025-08-01",
            "first business day of the counters' partitions (`daily_zone_stats`, hourly diffs)",
            check=_first("%Y-%m-%d", "2025-08-01"),
        ),
        Setting(
            "TAXI_LOGS_FIRST_DAY",
            "2026-01-01",
            "first UTC day of the click logs' partitions (`api_logs`, `click_events`, marts)",
            check=_first("%Y-%m-%d", "2026-01-01"),
        ),
        Setting(
            "TAXI_TRIPS_FIRST_MONTH",
            "2009-01",
            "first month of the `taxi_trips` partitions (TLC's Yellow Taxi files start 2009-01)",
            check=_first("%Y-%m", "2009-01"),
        ),
        Setting(
            "TAXI_AUTOMATION_INTERVAL_SECONDS",
            "30",
            "how often each domain's automation sensor evaluates its conditions",
            check=_pattern(r"[1-9][0-9]*", "a positive whole number of seconds"),
        ),
    )
}


def setting_problem(name: str, value: str) -> str | None:
    """One line naming `name` and the fix when `value` is not acceptable for it; a secret's
    value is never quoted."""
    setting = SETTINGS[name]
    problem = setting.check(value) if setting.check else None
    if problem is None:
        return None
    shown = f"{name} (value not shown)" if setting.secret else f"{name}={value!r}"
    return f"{shown} {problem} — {setting.meaning}"


def choice(name: str, value: str) -> str:
    """`value` of the choice setting `name`, folded as its check folds it (`_one_of`); a
    ConfigError of `setting_problem` when it is not one of the choices. For resources whose
    field may hold the variable's value: one message, whichever reads it first."""
    problem = setting_problem(name, value)
    if problem:
        raise ConfigError(problem)
    return value.strip().lower()


def setting_problems(environ: Mapping[str, str] | None = None) -> list[str]:
    """A line per catalogue variable that is set to a value it cannot take (unset or empty
    variables take their default and are not checked here)."""
    environ = os.environ if environ is None else environ
    problems = (setting_problem(name, environ[name]) for name in SETTINGS if environ.get(name))
    return [p for p in problems if p]


def check_settings(environ: Mapping[str, str] | None = None) -> None:
    """Raise a ConfigError of one line per bad variable (the code location calls this when it
    loads, so a bad value stops it with the variable named instead of a stack trace)."""
    problems = setting_problems(environ)
    if problems:
        raise ConfigError("\n".join(problems))


def current_environment() -> str:
    """The value of the one switch; an unknown value is a configuration error, not a fallback."""
    env = os.environ.get(ENV_SWITCH, "local").strip() or "local"
    if env not in ENVIRONMENTS:
        raise ConfigError(
            f"{ENV_SWITCH}={env!r} is not a known environment: set it to one of "
            f"{', '.join(ENVIRONMENTS)} (default local)"
        )
    return env


def configured(name: str) -> dg.EnvVar | str | None:
    """What a resource field gets for variable `name`.

    Set → `dg.EnvVar(name)` (resolved at run time, never shown in the UI as a value).
    Unset → the catalogue's default, or None; resources turn None into a `ConfigError`
    naming the variable when they are used, so `definitions validate` works without a stack.
    """
    import dagster as dg

    setting = SETTINGS[name]
    if os.environ.get(name):
        return dg.EnvVar(name)
    return setting.default


def require(value: str | None, name: str, hint: str | None = None) -> str:
    """Return a configured value or fail in one line naming the variable and the fix."""
    if value:
        return value
    if hint is None:
        hint = (
            "export it (see the README's configuration table)"
            if current_environment() == "aws"
            else 'start the local stack and load its settings: eval "$(taxi-platform stack env)"'
        )
    raise ConfigError(f"{name} is not set: {hint}")


def missing_in_aws(environ: dict[str, str] | None = None) -> list[str]:
    """Variables `aws` mode cannot run without; checked by `taxi-platform check-config`."""
    environ = os.environ if environ is None else environ
    return [s.name for s in SETTINGS.values() if s.required_in_aws and not environ.get(s.name)]


def checked_value(name: str) -> str:
    """Variable `name`, else its catalogue default, checked by the catalogue's own rule: a
    value read when the definitions load stops them with one line naming it, not a trace."""
    value = (os.environ.get(name) or "").strip() or str(SETTINGS[name].default)
    problem = setting_problem(name, value)
    if problem:
        raise ConfigError(problem)
    return value


def timezone() -> str:
    """Schedules' and the business day's time zone; read when definitions load (not a secret)."""
    return checked_value("TAXI_TIMEZONE")


def every_minutes(name: str) -> timedelta:
    """A cadence of whole minutes dividing an hour (a `*/N` cron), from variable `name`."""
    return timedelta(minutes=int(checked_value(name)))


def api_logs_cron() -> str:
    """When `api_logs` builds the hour just closed (UTC); read when definitions load."""
    return checked_value("TAXI_API_LOGS_CRON")


def automation_interval_seconds() -> int:
    """Seconds between two evaluations of an automation sensor; read when definitions load."""
    return int(checked_value("TAXI_AUTOMATION_INTERVAL_SECONDS"))


def first_day(name: str) -> date:
    """The first partition's day of variable `name` (a `TAXI_*_FIRST_DAY` or `_MONTH`);
    read when the definitions load."""
    value = checked_value(name)
    return date.fromisoformat(value if len(value) == 10 else f"{value}-01")


def zones_csv_default() -> str:
    """The TLC zone table shipped with the code (`data/SOURCES.md`): what the local stack, the
    simulators and the tests read unless `TAXI_ZONES_URL` says otherwise."""
    return str(DATA_DIR / "taxi_zone_lookup.csv")
