"""Garbage configuration: every catalogue variable gives one line naming it and the fix, when
the code location loads, in `taxi-platform check-config`, and when a resource starts."""

import os
import socket
import subprocess
import sys

import dagster as dg
import pytest

from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.reference import ReferenceDataResource
from taxi_platform.settings import SETTINGS, ConfigError, setting_problems
from taxi_platform_dev.cli import main

GARBAGE = ["garbage value!", "-1", "http://"]


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_variable_set_to_garbage_is_one_line_naming_it(name, value):
    problems = setting_problems({name: value})
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith((f"{name}=", f"{name} "))
    assert (value not in problems[0]) if SETTINGS[name].secret else (repr(value) in problems[0])


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_check_config_names_the_garbage_variable(monkeypatch, capsys, name):
    monkeypatch.setenv(name, "garbage value!")
    assert main(["check-config"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(tuple(f"taxi-platform: error: {name}{c}" for c in "= "))


def test_the_defaults_and_the_test_stack_settings_are_valid(stack_env):
    assert setting_problems({}) == []
    assert setting_problems(stack_env) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_bad_time_zone_stops_the_load_with_one_line_naming_it():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAXI_", "DAGSTER_"))}
    env["TAXI_TIMEZONE"] = "Mars/Olympus_Mons"
    result = subprocess.run(
        [sys.executable, "-c", "import taxi_platform.definitions"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "taxi_platform.settings.ConfigError: TAXI_TIMEZONE='Mars/Olympus_Mons' is not an IANA "
        "time zone: use e.g. Asia/Seoul (the default) or UTC — schedules, the counters' "
        "business day, the marts' local hours and days, and every hour and day the dashboards "
        "show"
    )


def test_an_s3_endpoint_that_is_down_fails_the_run_in_one_line(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # credentials are not what is tested
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://127.0.0.1:{free_port()}"
    lake = LakeResource(bucket="taxi-platform-lake", endpoint_url=endpoint, max_attempts=1)

    @dg.asset
    def reads_the_lake(lake: LakeResource) -> None:
        lake.list_keys("raw/")

    result = dg.materialize([reads_the_lake], resources={"lake": lake}, raise_on_error=False)

    assert not result.success
    failure = next(e for e in result.all_events if e.is_failure).event_specific_data.error
    causes = [failure, failure.cause] if failure.cause else [failure]
    message = next(c.message for c in causes if "ConfigError" in c.cls_name)
    assert message.strip() == (
        f"taxi_platform.settings.ConfigError: the S3 endpoint {endpoint} is unreachable "
        '(EndpointConnectionError): start the local stack (taxi-platform stack up; eval "$('
        'taxi-platform stack env)") or fix AWS_ENDPOINT_URL_S3 (unset it to use AWS S3)'
    )


def test_missing_aws_credentials_fail_the_run_in_one_line(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    lake = LakeResource(
        bucket="taxi-platform-lake", endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1
    )
    with pytest.raises(ConfigError, match=r"^no AWS credentials for the lake: "):
        lake.setup_for_execution(dg.build_init_resource_context())


def test_an_unreachable_zones_url_is_one_line_naming_it():
    url = f"http://127.0.0.1:{free_port()}/taxi_zone_lookup.csv"
    with pytest.raises(ConfigError) as error:
        ReferenceDataResource(zones_url=url, timeout_seconds=2).fetch_zones()
    assert str(error.value).startswith(f"TAXI_ZONES_URL {url} is unreachable (ConnectionError)")
    assert "\n" not in str(error.value)


def test_a_spark_connect_server_that_does_not_answer_is_one_line_naming_it():
    from taxi_platform.resources.spark_connect import connect

    port = free_port()
    with pytest.raises(ConfigError) as error:
        connect(f"sc://127.0.0.1:{port}/;token=not-to-be-shown", {})
    assert str(error.value) == (
        f"TAXI_SPARK_REMOTE: no Spark Connect server answers on 127.0.0.1:{port} "
        "(ConnectionRefusedError): start one (`taxi-platform stack up` with TAXI_ENGINE=spark), "
        "or unset TAXI_SPARK_REMOTE to spark-submit each run"
    )
