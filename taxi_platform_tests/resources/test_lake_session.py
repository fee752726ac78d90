"""The lake's boto3 sessions share botocore's parsed service models, never credentials."""

from __future__ import annotations

import pytest

from taxi_platform.resources import lake


def test_sessions_share_models_but_read_their_own_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "first-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "first-secret")
    first = lake._own_session()
    first_key = first.get_credentials().access_key  # a client resolves them when built
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "second-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "second-secret")
    second = lake._own_session()

    assert first_key == "first-key"
    assert first.get_credentials().access_key == "first-key"
    assert second.get_credentials().access_key == "second-key"
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    # boto3 adds its data folder to the loader at every session: kept once, not once per run
    paths = loader.search_paths
    assert len(paths) == len(set(paths))
    # a client of each still works off the shared models
    for session in (first, second):
        client = session.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
        assert client.meta.service_model.service_name == "s3"
