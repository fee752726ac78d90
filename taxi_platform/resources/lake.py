"""The object store: dagster-aws `S3Resource` plus the lake's bucket name.

Endpoint and credentials come from boto3's standard variables (`AWS_ENDPOINT_URL_S3`,
…), so the same resource reaches moto locally and S3 on AWS.
"""

from __future__ import annotations

from dagster_aws.s3 import S3Resource


class LakeResource(S3Resource):
    """S3 client factory for the lake bucket (`TAXI_LAKE_BUCKET`)."""

    bucket: str = "taxi-platform-lake"

    def put_bytes(self, key: str, body: bytes, content_type: str = "application/octet-stream"):
        return self.get_client().put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type
        )

    def get_bytes(self, key: str) -> bytes:
        return self.get_client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def list_keys(self, prefix: str) -> list[str]:
        paginator = self.get_client().get_paginator("list_objects_v2")
        return [
            obj["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]
