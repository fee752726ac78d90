"""The configuration catalogue: every environment variable the platform reads, in one place.

Why a catalogue: one switch (`TAXI_PLATFORM_ENV`) and a table of variables configure everything.
Keeping them here lets the wiring, the `stack env` printer, the README table and the
configuration errors agree. Nothing here reads a secret's value: wiring passes `dg.EnvVar`
so Dagster resolves it at run time and the UI shows only the variable's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

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


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str
    secret: bool = False
    required_in_aws: bool = False


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(ENV_SWITCH, "local", "`local` embedded stack, or `aws`"),
        Setting("AWS_REGION", "ap-northeast-2", "AWS region (boto3 standard variable)"),
        Setting("TAXI_LAKE_BUCKET", "taxi-platform-lake", "object store bucket"),
        Setting("TAXI_PICKUP_TABLE", "pickup-zone-dynamodb-s", "DynamoDB pickups per zone"),
        Setting("TAXI_FLAG_TABLE", "flag-dynamodb-s", "DynamoDB dispatch/pickup totals"),
        Setting("TAXI_ZONE_DISPATCH_TABLE", "zone-count-dynamodb", "DynamoDB dispatches per zone"),
        Setting("TAXI_DESTINATION_TABLE", "taxi-destination-dynamodb", "DynamoDB taxi assignments"),
        Setting(
            "TAXI_POSTGRES_URL",
            None,
            "libpq URI of database `postgres` (spark_writer)",
            secret=True,
            required_in_aws=True,
        ),
        Setting(
            "TAXI_DAILY_STATS_URL",
            None,
            "libpq URI of database `daily_stats_db` (stats_writer)",
            secret=True,
            required_in_aws=True,
        ),
        Setting(
            "TAXI_GOLD_URL",
            None,
            "libpq URI of database `gold` (gold_writer)",
            secret=True,
            required_in_aws=True,
        ),
        Setting(
            "TAXI_BI_READER_URL",
            None,
            "libpq URI of the read-only `bi_reader` role (Grafana, Superset)",
            secret=True,
        ),
        Setting(
            "TAXI_LOG_API_URL",
            None,
            "log API endpoint (the simulator locally)",
            required_in_aws=True,
        ),
        Setting(
            "TAXI_LOG_FERNET_KEY",
            None,
            "Fernet key of the log API",
            secret=True,
            required_in_aws=True,
        ),
        Setting("TAXI_SPARK_MASTER", "local[2]", "`local[N]`, `spark://host:7077`, …"),
        Setting("TAXI_TIMEZONE", "Asia/Seoul", "schedules and the counters' business day"),
        Setting("TAXI_SPARK_INPUT_MODE", None, "`stage` (copy S3 inputs locally) or `s3a`"),
        Setting("TAXI_SPARK_LOG_LEVEL", "WARN", "Spark driver log level (`INFO` to debug a job)"),
        Setting("TAXI_ZONES_URL", None, "TLC zone table CSV (http(s) URL, s3:// URI or path)"),
        # Cadences: read when the definitions load (schedules and sensors are built from
        # them), so one code location serves production and a test that needs minutes.
        Setting(
            "TAXI_SNAPSHOT_EVERY_MINUTES",
            "5",
            "counter snapshots (`zone_hourly_activity_log`) every N minutes (N divides 60)",
        ),
        Setting(
            "TAXI_LIVE_VIEW_EVERY_MINUTES",
            "5",
            "Grafana's live tables (`counters_live_view`) every N minutes (N divides 60)",
        ),
        Setting(
            "TAXI_LANDING_EVERY_MINUTES",
            "3",
            "log API landing (`api_logs_landing`) every N minutes (N divides 60)",
        ),
        Setting(
            "TAXI_API_LOGS_CRON",
            "15 * * * *",
            "cron (UTC) after which `api_logs` builds the hour just closed",
        ),
        Setting(
            "TAXI_AUTOMATION_INTERVAL_SECONDS",
            "30",
            "how often each domain's automation sensor evaluates its conditions",
        ),
    )
}


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


def timezone() -> str:
    """Schedules' and the business day's time zone; read when definitions load (not a secret)."""
    return os.environ.get("TAXI_TIMEZONE") or "Asia/Seoul"


def _setting(name: str) -> str:
    return (os.environ.get(name) or "").strip() or str(SETTINGS[name].default)


def every_minutes(name: str) -> timedelta:
    """A cadence of whole minutes dividing an hour (a `*/N` cron), from variable `name`."""
    value = _setting(name)
    if not value.isdigit() or int(value) < 1 or 60 % int(value):
        raise ConfigError(
            f"{name}={value!r} is not a number of minutes dividing an hour: set it to one of "
            f"1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60 (default {SETTINGS[name].default})"
        )
    return timedelta(minutes=int(value))


def api_logs_cron() -> str:
    """When `api_logs` builds the hour just closed (UTC); read when definitions load."""
    from dagster._utils.schedules import is_valid_cron_string  # the daemon's own parser

    value = _setting("TAXI_API_LOGS_CRON")
    if not is_valid_cron_string(value):
        raise ConfigError(
            f"TAXI_API_LOGS_CRON={value!r} is not a cron string: set five fields, e.g. "
            f"{SETTINGS['TAXI_API_LOGS_CRON'].default!r} (the default)"
        )
    return value


def automation_interval_seconds() -> int:
    """Seconds between two evaluations of an automation sensor; read when definitions load."""
    value = _setting("TAXI_AUTOMATION_INTERVAL_SECONDS")
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(
            f"TAXI_AUTOMATION_INTERVAL_SECONDS={value!r} is not a positive whole number of "
            f"seconds: set it to e.g. 30 (the default)"
        )
    return int(value)


def zones_csv_default() -> str:
    """The TLC zone table shipped with the code (`data/SOURCES.md`): what the local stack, the
    simulators and the tests read unless `TAXI_ZONES_URL` says otherwise."""
    return str(DATA_DIR / "taxi_zone_lookup.csv")
