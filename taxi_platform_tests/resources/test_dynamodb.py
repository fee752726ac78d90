"""DynamoDBResource against the real moto server over HTTP."""

import threading
import uuid

import boto3
import pytest

from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.settings import ConfigError


@pytest.fixture
def table(stack_env) -> str:
    name = f"test-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "zone_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "zone_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    client.delete_table(TableName=name)


def test_scan_all_reads_every_page(dynamodb: DynamoDBResource, table: str):
    padding = "x" * 40_000  # 40 items × 40 kB > DynamoDB's 1 MB page: forces pagination
    for i in range(40):
        dynamodb.put(table, {"zone_id": f"zone {i:02d}", "count": i, "pad": padding})
    client = dynamodb.client()
    first_page = client.scan(TableName=table)
    assert "LastEvaluatedKey" in first_page, "the fixture must span more than one page"
    items = dynamodb.scan_all(table)
    assert sorted(int(i["count"]) for i in items) == list(range(40))


def test_add_is_atomic_under_concurrency(dynamodb: DynamoDBResource, table: str):
    """DynamoDB applies each ADD atomically; the stack's moto server does too only because it
    handles one request at a time (`local/moto_server.py`: plain moto lost 7 of 1,200 here)."""
    key = {"zone_id": "Midtown Center"}

    def bump() -> None:
        for _ in range(40):
            dynamodb.add(table, key, "count", 1)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # `count` is a reserved word: it only works behind an expression attribute name.
    assert dynamodb.add(table, key, "count", -30) == 290
    assert [int(i["count"]) for i in dynamodb.scan_all(table)] == [290]


def test_put_if_absent_is_conditional(dynamodb: DynamoDBResource, table: str):
    assert dynamodb.put_if_absent(table, {"zone_id": "Seaport", "count": 1}, "zone_id") is True
    assert dynamodb.put_if_absent(table, {"zone_id": "Seaport", "count": 9}, "zone_id") is False
    assert [int(i["count"]) for i in dynamodb.scan_all(table)] == [1]


def test_missing_table_names_table_and_fix(dynamodb: DynamoDBResource):
    with pytest.raises(ConfigError, match=r"table 'no-such-table' does not exist .*TAXI_\*_TABLE"):
        dynamodb.scan_all("no-such-table")


def test_unreachable_endpoint_names_variable(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")
    resource = DynamoDBResource(region_name="ap-northeast-2", connect_timeout=1, max_attempts=1)
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1:1 is unreachable.*AWS_ENDPOINT_URL"):
        resource.scan_all("pickup-zone-dynamodb-s")
