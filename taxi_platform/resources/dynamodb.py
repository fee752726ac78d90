"""DynamoDB resource: the live counters written by the dispatch API server.

Why a thin wrapper over boto3: the counters are reset by subtracting what was read
(`ADD count -n`), which needs atomic updates, conditional writes and full paginated scans
with `count` (a reserved word) always behind an expression attribute name. Endpoint and
region come from boto3's standard variables, so the same code talks to moto and to AWS.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import dagster as dg
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from pydantic import PrivateAttr

from taxi_platform.settings import ConfigError
from taxi_platform.threads import each_in_threads

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def from_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


class DynamoDBResource(dg.ConfigurableResource):
    """The four DynamoDB counter tables and the operations the platform performs on them."""

    region_name: str | None = None
    pickup_table: str = "pickup-zone-dynamodb-s"
    flag_table: str = "flag-dynamodb-s"
    zone_dispatch_table: str = "zone-count-dynamodb"
    destination_table: str = "taxi-destination-dynamodb"
    connect_timeout: float = 5.0
    max_attempts: int = 3

    _client: Any = PrivateAttr(default=None)

    def client(self):
        """One boto3 client per resource instance: building a client costs about as much as
        a call, and a reset makes hundreds of calls. boto3 clients are thread-safe."""
        if self._client is None:
            self._client = boto3.client(
                "dynamodb",
                region_name=self.region_name,
                config=Config(
                    connect_timeout=self.connect_timeout,
                    retries={"max_attempts": self.max_attempts, "mode": "standard"},
                ),
            )
        return self._client

    def _call(self, table: str, operation: str, **kwargs) -> dict[str, Any]:
        client = self.client()
        try:
            return getattr(client, operation)(TableName=table, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise ConfigError(
                    f"DynamoDB table {table!r} does not exist at {client.meta.endpoint_url}: "
                    "create it (the local stack does) or fix its TAXI_*_TABLE variable"
                ) from None
            raise
        except EndpointConnectionError:
            raise ConfigError(
                f"DynamoDB endpoint {client.meta.endpoint_url} is unreachable: start the local "
                "stack or fix AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL"
            ) from None

    def _scan_pages(self, table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self._call(table, "scan", **kwargs)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scan_all(self, table: str, consistent: bool = True) -> list[dict[str, Any]]:
        """Every item of `table` as plain Python values (numbers as Decimal), all pages."""
        pages = self._scan_pages(table, ConsistentRead=consistent)
        return [from_attribute_values(i) for page in pages for i in page.get("Items", [])]

    def scan_many(self, tables: Sequence[str], consistent: bool = True) -> dict[str, list]:
        """`scan_all` of each table, all at once: a reader of several tables then waits for
        the slowest scan, not for their sum."""
        self.client()  # built once, before the threads share it
        scans = each_in_threads(lambda table: self.scan_all(table, consistent), tables, len(tables))
        return dict(zip(tables, scans, strict=True))

    def count_items(self, table: str) -> int:
        """How many items `table` holds now: a COUNT scan (DescribeTable's ItemCount is
        refreshed only every six hours or so); the counter tables hold hundreds of items."""
        return sum(page["Count"] for page in self._scan_pages(table, Select="COUNT"))

    def add(self, table: str, key: dict[str, Any], attribute: str, amount: int) -> int:
        """Atomically add `amount` (may be negative) to an attribute; returns the new value."""
        response = self._call(
            table,
            "update_item",
            Key=to_attribute_values(key),
            UpdateExpression="ADD #a :n",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":n": {"N": str(int(amount))}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"][attribute]["N"])

    def add_once(
        self,
        table: str,
        key: dict[str, Any],
        attribute: str,
        amount: int,
        marker_attribute: str,
        marker: str,
    ) -> bool:
        """`add`, at most once per `marker`: the same atomic update stamps the item with
        `marker_attribute = marker`, and an item that already carries that marker is left alone
        (returns False). A job that crashed after some of its updates can re-apply them all."""
        try:
            self._call(
                table,
                "update_item",
                Key=to_attribute_values(key),
                UpdateExpression="ADD #a :n SET #m = :m",
                ConditionExpression="attribute_not_exists(#m) OR #m <> :m",
                ExpressionAttributeNames={"#a": attribute, "#m": marker_attribute},
                ExpressionAttributeValues={":n": {"N": str(int(amount))}, ":m": {"S": marker}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_if_absent(self, table: str, item: dict[str, Any], key_attribute: str) -> bool:
        """Write `item` unless an item with its key exists; False when it already did."""
        try:
            self._call(
                table,
                "put_item",
                Item=to_attribute_values(item),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": key_attribute},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put(self, table: str, item: dict[str, Any]) -> None:
        self._call(table, "put_item", Item=to_attribute_values(item))
