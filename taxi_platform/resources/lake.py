"""The object store: a boto3 S3 client plus the lake's bucket name.

Endpoint and credentials come from boto3's standard variables (`AWS_ENDPOINT_URL_S3`,
…), so the same resource reaches moto locally and S3 on AWS. A thin boto3 wrapper rather
than dagster-aws's `S3Resource`: importing `dagster_aws` also imports Dagster's test
utilities (through its Secrets Manager component), which cost every process that loads the
code location more than a second.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
import botocore.session
import dagster as dg
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, NoCredentialsError
from pydantic import PrivateAttr

from taxi_platform.settings import ConfigError


@functools.cache
def _model_loader() -> Any:
    """botocore's loader of service models, built once per process (see `_own_session`)."""
    return botocore.session.get_session().get_component("data_loader")


def _own_session() -> boto3.session.Session:
    """A new session (its own credentials and settings) that reuses the process's parsed
    service models. Why: a fresh session parses botocore's S3 and endpoint models (JSON of
    several MB) again, which was most of a run's lake start (0.2 s unloaded, seconds on a
    loaded machine); the models are files of the installed botocore and never change in a
    process. Only the loader is shared, never credentials."""
    session = botocore.session.get_session()
    loader = _model_loader()
    session.register_component("data_loader", loader)
    own = boto3.session.Session(botocore_session=session)
    # boto3 appends its own data folder to the loader's search path at every session
    boto3_data = os.path.join(os.path.dirname(boto3.__file__), "data")
    while loader.search_paths.count(boto3_data) > 1:
        loader.search_paths.remove(boto3_data)
    return own


class LakeResource(dg.ConfigurableResource):
    """S3 client factory for the lake bucket (`TAXI_LAKE_BUCKET`)."""

    bucket: str = "taxi-platform-lake"
    region_name: str | None = None
    endpoint_url: str | None = None  # None: boto3's own (AWS_ENDPOINT_URL_S3, or AWS S3)
    max_attempts: int = 5

    _client: Any = PrivateAttr(default=None)

    def get_client(self) -> Any:
        """One boto3 client per resource instance: building one costs ~0.2 s, as much as a
        dozen small requests (a Silver day reads 24 objects). boto3 clients are thread-safe."""
        if self._client is None:
            # A session of its own: boto3's default session caches the credentials it found
            # first, and the lake must use the ones of its own environment.
            self._client = _own_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": self.max_attempts, "mode": "standard"}),
            )
        return self._client

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Reach the endpoint once when a run starts: an object store that is down is then
        one line naming the variable, not a retrying client's traceback in the first step
        that reads. Only reachability is judged here; a missing bucket or a denied request
        fails where it happens (and `taxi-platform check-config --connect` names it)."""
        client = self.get_client()
        try:
            client.head_bucket(Bucket=self.bucket)
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise ConfigError(unreachable_endpoint(client.meta.endpoint_url, exc)) from None
        except NoCredentialsError:
            raise ConfigError(
                "no AWS credentials for the lake: on AWS the instance profile, AWS_PROFILE or "
                'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; locally eval "$(taxi-platform stack env)"'
            ) from None
        except Exception:  # anything else (no bucket, denied) is the asset's to report
            pass

    def put_bytes(self, key: str, body: bytes, content_type: str = "application/octet-stream"):
        return self.get_client().put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type
        )

    def get_bytes(self, key: str) -> bytes:
        return self.get_client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def list_objects(self, prefix: str) -> list[dict]:
        """Every object under `prefix` as S3 lists it (`Key`, `ETag`, `Size`, `LastModified`)."""
        paginator = self.get_client().get_paginator("list_objects_v2")
        return [
            obj
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]

    def list_keys(self, prefix: str) -> list[str]:
        return [obj["Key"] for obj in self.list_objects(prefix)]


def unreachable_endpoint(endpoint: str, exc: Exception) -> str:
    return (
        f"the S3 endpoint {endpoint} is unreachable ({type(exc).__name__}): start the local "
        'stack (taxi-platform stack up; eval "$(taxi-platform stack env)") or fix '
        "AWS_ENDPOINT_URL_S3 (unset it to use AWS S3)"
    )
