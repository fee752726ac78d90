"""Before a Spark job reads or writes `s3a://`: can this environment reach each bucket?

Why ask with boto3 first: hadoop-aws reports a wrong key, a missing bucket or a dead endpoint
as a JVM stack trace deep in the driver's log, after its retries. boto3 here reads the same
variables the s3a connector does (AWS_ENDPOINT_URL[_S3], AWS_REGION, the default credential
chain: keys, profile, instance profile), so one HEAD per bucket names the problem in one line
before spark-submit starts. The executors of a remote cluster use their own environment.
"""

from __future__ import annotations

from collections.abc import Iterable

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)

from taxi_platform.resources.lake import unreachable_endpoint
from taxi_platform.settings import ConfigError

_REJECTED_CREDENTIALS = {"403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}
_QUICK = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})


def s3a_buckets(args: Iterable[str]) -> list[str]:
    """The buckets of the `s3a://bucket/…` URIs among a job's arguments."""
    return sorted(
        {a.removeprefix("s3a://").split("/", 1)[0] for a in args if a.startswith("s3a://")}
    )


def check_s3a_access(buckets: Iterable[str]) -> None:
    client = boto3.client("s3", config=_QUICK)
    where = client.meta.endpoint_url
    for bucket in buckets:
        try:
            client.head_bucket(Bucket=bucket)
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise ConfigError(f"s3a: {unreachable_endpoint(where, exc)}") from None
        except NoCredentialsError:
            raise ConfigError(
                f"s3a: no AWS credentials to read s3a://{bucket}: attach an instance profile, "
                "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            ) from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket"):
                raise ConfigError(
                    f"s3a: bucket {bucket} does not exist at {where}: create it (infra/aws) "
                    "or correct TAXI_LAKE_BUCKET"
                ) from None
            if code in _REJECTED_CREDENTIALS:
                raise ConfigError(
                    f"s3a: {where} refused these AWS credentials for bucket {bucket} "
                    f"({code}): correct AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the "
                    "instance profile's policy"
                ) from None
            raise
