"""The Fernet key appears in no event of a run: logs, metadata, errors (real Dagster instance)."""

import secrets
from datetime import date

import dagster as dg
from cryptography.fernet import Fernet

from taxi_platform.resources.log_api import LogApiResource
from taxi_platform_dev.domains.logs.simulator import FaultPlan
from taxi_platform_tests.logs.helpers import build, replay


def test_the_key_is_in_no_event_of_good_or_failing_runs(
    log_source, clean_days, stack_env, monkeypatch
):
    day = date(2026, 2, 8)
    clean_days(day)
    source = log_source(
        day, records_per_window=3, faults=FaultPlan(at={4: frozenset({"bad_token"})})
    )
    keys = {
        "TAXI_LOG_FERNET_KEY": stack_env["TAXI_LOG_FERNET_KEY"],
        "TEST_WRONG_FERNET_KEY": Fernet.generate_key().decode(),  # a key, but not the API's
        "TEST_BROKEN_FERNET_KEY": "not-a-fernet-key-" + secrets.token_hex(12),
    }
    for variable, value in keys.items():
        monkeypatch.setenv(variable, value)

    def with_key(variable: str) -> dict:
        api = LogApiResource(url=f"{source.url}/logs", fernet_key=dg.EnvVar(variable))
        return {**source.resources, "log_api": api}

    with dg.DagsterInstance.ephemeral() as instance:
        replay(source.resources, 0, 21, instance)
        good = build(with_key("TAXI_LOG_FERNET_KEY"), f"{day}-00:00", instance=instance)
        wrong = build(
            with_key("TEST_WRONG_FERNET_KEY"),
            f"{day}-00:00",
            instance=instance,
            raise_on_error=False,
        )
        broken = build(
            with_key("TEST_BROKEN_FERNET_KEY"),
            f"{day}-00:00",
            instance=instance,
            raise_on_error=False,
        )
        runs = instance.get_runs()
        texts = [dg.serialize_value(run) for run in runs] + [
            dg.serialize_value(entry) for run in runs for entry in instance.all_logs(run.run_id)
        ]

    assert good.success and not wrong.success and not broken.success
    assert len(runs) == 4 and sum(len(t) for t in texts) > 100_000
    everything = "\n".join(texts)
    assert "none of 22 landed batches decrypts with TAXI_LOG_FERNET_KEY" in everything  # 0…21
    assert "TAXI_LOG_FERNET_KEY is not a valid Fernet key" in everything
    assert "BadToken" in everything  # window 4's quarantine, reported in metadata
    for variable, value in keys.items():
        assert value not in everything, f"{variable}'s value leaked into the event log"
