"""Configuration: the environment switch, aws-mode variables, definitions that load anywhere."""

import os
import subprocess
import sys

import dagster as dg
import pytest

from taxi_platform.resources.reference import TLC_ZONES_URL
from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import SETTINGS, ConfigError, configured, current_environment
from taxi_platform_dev.cli import main


def test_unknown_environment_is_rejected(monkeypatch):
    monkeypatch.setenv("TAXI_PLATFORM_ENV", "staging")
    with pytest.raises(ConfigError, match="TAXI_PLATFORM_ENV='staging' is not a known environment"):
        current_environment()


def test_check_config_names_every_missing_aws_variable(monkeypatch, capsys):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAXI_PLATFORM_ENV", "aws")
    monkeypatch.setenv("TAXI_GOLD_URL", "postgresql://gold_writer:x@db/gold")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    for name in ("TAXI_POSTGRES_URL", "TAXI_DAILY_STATS_URL", "TAXI_LOG_FERNET_KEY"):
        assert name in err
    assert "TAXI_GOLD_URL" not in err


def test_secrets_are_env_vars_never_values(monkeypatch):
    monkeypatch.setenv("TAXI_GOLD_URL", "postgresql://gold_writer:s3cret@db/gold")
    monkeypatch.setenv("TAXI_LOG_FERNET_KEY", "k" * 44)
    assert isinstance(configured("TAXI_GOLD_URL"), dg.EnvVar)
    resources = build_resources("aws")
    assert resources["gold_db"].url == "TAXI_GOLD_URL"  # the variable's name, not its value
    assert resources["spark"].input_mode == "s3a"
    assert build_resources("local")["spark"].input_mode == "stage"
    # An AWS host reads the zone table from TLC's published CSV, not the copy in the package.
    monkeypatch.delenv("TAXI_ZONES_URL", raising=False)
    assert build_resources("aws")["reference"].zones_location() == TLC_ZONES_URL
    assert build_resources("local")["reference"].zones_location().endswith("taxi_zone_lookup.csv")


@pytest.mark.parametrize("name", ["TAXI_SPARK_INPUT_MODE", "TAXI_SPARK_LOG_LEVEL"])
def test_spark_settings_from_the_environment_load_and_a_wrong_one_is_named(monkeypatch, name):
    monkeypatch.setenv(name, "s3a" if name == "TAXI_SPARK_INPUT_MODE" else "info")
    spark = build_resources("local")["spark"].process_config_and_initialize()  # EnvVar resolved
    assert spark.reads_s3a is (name == "TAXI_SPARK_INPUT_MODE")
    assert (f"-Dtaxi.spark.logLevel={'INFO' if name == 'TAXI_SPARK_LOG_LEVEL' else 'WARN'}") in (
        " ".join(spark.command("smoke.py"))
    )
    monkeypatch.setenv(name, "sideways")
    wrong = build_resources("local")["spark"].process_config_and_initialize()
    with pytest.raises(ConfigError, match=rf"^{name}='sideways' is not"):
        wrong.command("smoke.py")


def test_missing_url_in_aws_mode_is_one_line(monkeypatch):
    monkeypatch.setenv("TAXI_PLATFORM_ENV", "aws")
    monkeypatch.delenv("TAXI_DAILY_STATS_URL", raising=False)
    with pytest.raises(ConfigError) as error:
        build_resources()["daily_stats_db"].count_rows("daily_zone_stats")
    assert str(error.value).startswith("TAXI_DAILY_STATS_URL is not set: export it")


def test_stack_env_without_a_stack_says_how_to_start_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TAXI_STACK_HOME", str(tmp_path))
    assert main(["stack", "env"]) == 2
    assert "taxi-platform stack up" in capsys.readouterr().err


@pytest.mark.parametrize("environment", ["local", "aws"])
def test_definitions_validate_without_any_service(environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAXI_", "AWS_", "DAGSTER_"))}
    env["TAXI_PLATFORM_ENV"] = environment
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-m",
            "taxi_platform.definitions",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_cadences_come_from_the_environment_and_a_wrong_one_is_named(monkeypatch):
    from taxi_platform.settings import api_logs_cron, automation_interval_seconds, every_minutes

    for name in ("TAXI_SNAPSHOT_EVERY_MINUTES", "TAXI_API_LOGS_CRON"):
        monkeypatch.delenv(name, raising=False)
    assert every_minutes("TAXI_SNAPSHOT_EVERY_MINUTES").total_seconds() == 300
    assert api_logs_cron() == "15 * * * *"
    monkeypatch.setenv("TAXI_SNAPSHOT_EVERY_MINUTES", "1")
    monkeypatch.setenv("TAXI_API_LOGS_CRON", "* * * * *")
    monkeypatch.setenv("TAXI_AUTOMATION_INTERVAL_SECONDS", "5")
    assert every_minutes("TAXI_SNAPSHOT_EVERY_MINUTES").total_seconds() == 60
    assert (api_logs_cron(), automation_interval_seconds()) == ("* * * * *", 5)
    monkeypatch.setenv("TAXI_SNAPSHOT_EVERY_MINUTES", "7")
    with pytest.raises(ConfigError, match=r"^TAXI_SNAPSHOT_EVERY_MINUTES='7' is not .* dividing"):
        every_minutes("TAXI_SNAPSHOT_EVERY_MINUTES")
    monkeypatch.setenv("TAXI_API_LOGS_CRON", "hourly")
    with pytest.raises(ConfigError, match=r"^TAXI_API_LOGS_CRON='hourly' is not a cron"):
        api_logs_cron()
    monkeypatch.setenv("TAXI_AUTOMATION_INTERVAL_SECONDS", "0")
    with pytest.raises(ConfigError, match=r"^TAXI_AUTOMATION_INTERVAL_SECONDS='0'"):
        automation_interval_seconds()


def test_engine_defaults_per_wiring_and_a_wrong_one_is_named(monkeypatch):
    monkeypatch.delenv("TAXI_ENGINE", raising=False)
    assert build_resources("local")["engine"].name == "duckdb"
    assert build_resources("aws")["engine"].name == "spark"
    monkeypatch.setenv("TAXI_ENGINE", "Spark")
    assert build_resources("local")["engine"].process_config_and_initialize().name == "spark"
    monkeypatch.setenv("TAXI_ENGINE", "presto")
    wrong = build_resources("aws")["engine"].process_config_and_initialize()
    with pytest.raises(
        ConfigError,
        match=r"^TAXI_ENGINE='presto' is not one of duckdb, spark: .* `spark` \(the cluster",
    ):
        wrong.name  # noqa: B018  (the check runs where the engine is used)


def test_a_wrong_spark_input_mode_is_named_where_spark_reads(monkeypatch):
    monkeypatch.setenv("TAXI_SPARK_INPUT_MODE", " S3A ")
    assert build_resources("aws")["spark"].process_config_and_initialize().reads_s3a is True
    monkeypatch.setenv("TAXI_SPARK_INPUT_MODE", "hdfs")
    wrong = build_resources("aws")["spark"].process_config_and_initialize()
    with pytest.raises(
        ConfigError, match=r"^TAXI_SPARK_INPUT_MODE='hdfs' is not one of stage, s3a"
    ):
        wrong.reads_s3a  # noqa: B018  (checked where Spark reads its inputs)
