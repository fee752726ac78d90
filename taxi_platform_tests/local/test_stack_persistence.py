"""The embedded stack keeps moto's data across `down`/`up` as an AWS account would: S3 objects
(bytes, content type, user metadata, ETags, a multipart one too) and DynamoDB tables (keys,
indexes, billing) with their items, each checked with plain boto3 against what the test wrote.
A stopped stack's lake is still readable by `taxi-platform sql` (a temporary moto serves its
save), counted here against pyarrow over the Silver Parquet written before the stop. A save
that fails midway keeps the previous save whole and the stack running; `reset` forgets.

One stack folder of its own for the module (not the session stack): it is stopped and
started, and read through `TAXI_STACK_HOME` as a user's `.stack` would be.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta

import boto3
import psycopg
import pyarrow.parquet as pq
import pytest
from boto3.s3.transfer import TransferConfig

from taxi_platform.defs.clicks.silver_schema import hour_table
from taxi_platform.settings import ConfigError
from taxi_platform_dev.cli import main
from taxi_platform_dev.local import moto_state
from taxi_platform_dev.local.processes import terminate
from taxi_platform_dev.local.stack import Stack

DAYS = {date(2026, 3, 9): 5, date(2026, 3, 10): 7}  # Silver day → events written
OTHER_BUCKET = "persistence-other"
MIB = 1024 * 1024
INDEXED_TABLE = "persistence-indexed"


def _clients(env: dict[str, str]):
    """(S3, DynamoDB): each at its own server's endpoint, as boto3 reads the variables."""
    kwargs = {
        "region_name": env["AWS_REGION"],
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return (
        boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL_S3"], **kwargs),
        boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"], **kwargs),
    )


def _silver_day(day: date, events: int) -> bytes:
    """A day of Silver rows as the asset types them, one event a minute from 09:00 UTC."""
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    records = [
        {
            "inDate": f"{start + timedelta(minutes=n):%Y-%m-%dT%H:%M:%S}.000000+00:00",
            "session_id": f"s{n % 3}",
            "user_id": f"{n:064x}",
            "method": "GET",
            "url": f"/documents/{n}",
            "document_id": n,
            "title": f"doc {n}",
        }
        for n in range(events)
    ]
    sink = io.BytesIO()
    pq.write_table(hour_table(records, start), sink)
    return sink.getvalue()


def _objects(s3, bucket: str) -> dict[str, dict]:
    """Every object of `bucket` as S3 serves it: bytes, type, metadata, ETag."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for listed in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=listed["Key"])
            found[listed["Key"]] = {
                "body": got["Body"].read(),
                "type": got["ContentType"],
                "metadata": got["Metadata"],
                "etag": got["ETag"],
            }
    return found


def _items(dynamodb, table: str, key: str) -> list[dict]:
    items = [
        i for p in dynamodb.get_paginator("scan").paginate(TableName=table) for i in p["Items"]
    ]
    return sorted(items, key=lambda item: item[key]["S"])


def _table_shape(dynamodb, table: str) -> tuple:
    described = dynamodb.describe_table(TableName=table)["Table"]
    indexes = [
        (i["IndexName"], i["KeySchema"], i["Projection"]["ProjectionType"])
        for i in described.get("GlobalSecondaryIndexes", [])
    ]
    units = described["ProvisionedThroughput"]
    return described["KeySchema"], indexes, units["ReadCapacityUnits"], units["WriteCapacityUnits"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A stack whose lake, counters and PostgreSQL got data, then stopped (so saved)."""
    home = tmp_path_factory.mktemp("persisted")
    stack = Stack(home, say=lambda _line: None)
    stack.up()
    env = stack.env()
    s3, dynamodb = _clients(env)
    lake = env["TAXI_LAKE_BUCKET"]
    silver = {day: _silver_day(day, events) for day, events in DAYS.items()}
    for day, body in silver.items():
        s3.put_object(
            Bucket=lake, Key=f"silver/click_events/event_date={day}/part-0.parquet", Body=body
        )
    s3.put_object(
        Bucket=lake,
        Key="notes/ünïcode name.txt",
        Body=b"kept",
        ContentType="text/plain; charset=utf-8",
        Metadata={"written-by": "test"},
    )
    s3.create_bucket(
        Bucket=OTHER_BUCKET,
        CreateBucketConfiguration={"LocationConstraint": env["AWS_REGION"]},
    )
    # 6 MiB + 3 bytes in 5 MiB parts: an ETag "…-2", as boto3's transfers and Spark leave.
    s3.upload_fileobj(
        io.BytesIO(os.urandom(6 * MIB + 3)),
        OTHER_BUCKET,
        "big/parts.bin",
        Config=TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB),
    )
    zones = env["TAXI_PICKUP_TABLE"]
    for zone in ("1", "2", "3"):
        dynamodb.put_item(
            TableName=zones, Item={"zone_id": {"S": zone}, "count": {"N": str(int(zone) * 7)}}
        )
    dynamodb.create_table(
        TableName=INDEXED_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 4, "WriteCapacityUnits": 5},
    )
    for n in range(30):  # more than one batch of 25
        dynamodb.put_item(
            TableName=INDEXED_TABLE,
            Item={
                "pk": {"S": f"item-{n:02}"},
                "kind": {"S": "odd" if n % 2 else "even"},
                "raw": {"B": bytes([n, 0, 255])},
                "nested": {"M": {"list": {"L": [{"N": "1.5"}, {"BOOL": True}, {"NULL": True}]}}},
                "tags": {"SS": ["a", f"t{n}"]},
            },
        )
    with psycopg.connect(env["TAXI_DAILY_STATS_URL"], autocommit=True) as conn:
        conn.execute("CREATE TABLE persisted (v int)")
        conn.execute("INSERT INTO persisted VALUES (42)")
    expected = {
        "objects": {bucket: _objects(s3, bucket) for bucket in (lake, OTHER_BUCKET)},
        "zones": _items(dynamodb, zones, "zone_id"),
        "indexed": _items(dynamodb, INDEXED_TABLE, "pk"),
        "indexed_shape": _table_shape(dynamodb, INDEXED_TABLE),
        "silver": silver,
    }
    stack.down()
    yield stack, expected
    stack.down(save=False)


def test_sql_reads_a_stopped_stacks_saved_lake(written, monkeypatch, capsys):
    stack, expected = written
    for name in [k for k in os.environ if k.startswith(("AWS_", "TAXI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TAXI_STACK_HOME", str(stack.home))
    saved = stack.moto_state.read_bytes()
    statement = "SELECT event_date, count(*) AS n FROM click_events GROUP BY 1 ORDER BY 1"
    assert main(["sql", "--csv", "-c", statement]) == 0
    out, err = capsys.readouterr()
    # Independently: the rows pyarrow finds in the Parquet written before the stop.
    want = [
        f"{day},{pq.read_table(io.BytesIO(body)).num_rows}"
        for day, body in sorted(expected["silver"].items())
    ]
    assert out.splitlines() == ["event_date,n", *want]
    assert f"the stopped stack in {stack.home}" in err
    assert not stack.is_up()
    assert stack.running() == {"postgres": False, "moto": False, "moto_dynamodb": False}
    assert stack.moto_state.read_bytes() == saved  # reading did not touch the save


def test_objects_tables_and_items_survive_down_and_up(written):
    stack, expected = written
    stack.up()
    try:
        env = stack.env()
        s3, dynamodb = _clients(env)
        for bucket, objects in expected["objects"].items():
            assert _objects(s3, bucket) == objects, bucket
        assert expected["objects"][OTHER_BUCKET]["big/parts.bin"]["etag"].endswith('-2"')
        assert _items(dynamodb, env["TAXI_PICKUP_TABLE"], "zone_id") == expected["zones"]
        assert _items(dynamodb, INDEXED_TABLE, "pk") == expected["indexed"]
        assert _table_shape(dynamodb, INDEXED_TABLE) == expected["indexed_shape"]
        # Each back in its own server: no table landed in the S3 one.
        s3_server = _clients({**env, "AWS_ENDPOINT_URL_DYNAMODB": env["AWS_ENDPOINT_URL_S3"]})[1]
        assert env["AWS_ENDPOINT_URL_DYNAMODB"] != env["AWS_ENDPOINT_URL_S3"]
        assert s3_server.list_tables()["TableNames"] == []
        with psycopg.connect(env["TAXI_DAILY_STATS_URL"]) as conn:
            assert conn.execute("SELECT v FROM persisted").fetchall() == [(42,)]
    finally:
        stack.down()


def test_a_dynamodb_server_gone_gets_the_saved_counters_back_and_s3_keeps_its_own(written):
    """One server gone (a crash), the other running: `up` starts the missing one and loads
    only its part of the last save, into it; the running one keeps what it holds."""
    stack, expected = written
    stack.up()
    try:
        s3, _ = _clients(stack.env())
        s3.put_object(Bucket=OTHER_BUCKET, Key="since-up.txt", Body=b"only in memory")
        s3_pid = stack.load()["moto"]["pid"]
        terminate(stack.load()["moto_dynamodb"]["pid"])
        assert not stack.is_up()
        stack.up()
        assert stack.load()["moto"]["pid"] == s3_pid
        env = stack.env()
        s3, dynamodb = _clients(env)
        assert _items(dynamodb, env["TAXI_PICKUP_TABLE"], "zone_id") == expected["zones"]
        assert _items(dynamodb, INDEXED_TABLE, "pk") == expected["indexed"]
        objects = _objects(s3, OTHER_BUCKET)
        assert objects.pop("since-up.txt")["body"] == b"only in memory"
        assert objects == expected["objects"][OTHER_BUCKET]
    finally:
        stack.down(save=False)  # the module's save stays the fixture's


def test_a_failed_save_keeps_the_last_one_and_reset_forgets(written, monkeypatch):
    stack, _ = written
    stack.up()
    before = stack.moto_state.read_bytes()
    s3, _ = _clients(stack.env())
    s3.put_object(Bucket=OTHER_BUCKET, Key="late.txt", Body=b"after the save")

    write_entry = moto_state._write_entry
    written_entries = []

    def disk_full(archive, entry, body):  # the first object written, then the disk is full
        if written_entries:
            raise OSError(28, "No space left on device")
        written_entries.append(entry)
        write_entry(archive, entry, body)

    monkeypatch.setattr(moto_state, "_write_entry", disk_full)
    with pytest.raises(ConfigError, match=r"still running.*stack reset"):
        stack.down()
    assert stack.is_up()
    assert stack.moto_state.read_bytes() == before
    assert list(stack.moto_state.parent.glob("*.tmp")) == []
    monkeypatch.undo()

    assert sorted(name.split()[0] for name in stack.reset()) == [
        "moto",
        "moto_dynamodb",
        "postgres",
    ]
    assert not stack.moto_state.exists()
    stack.up()
    env = stack.env()
    s3, dynamodb = _clients(env)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [env["TAXI_LAKE_BUCKET"]]
    assert s3.list_objects_v2(Bucket=env["TAXI_LAKE_BUCKET"])["KeyCount"] == 0
    assert dynamodb.scan(TableName=env["TAXI_PICKUP_TABLE"])["Items"] == []
    with psycopg.connect(env["TAXI_DAILY_STATS_URL"]) as conn:
        assert conn.execute("SELECT to_regclass('persisted')").fetchone() == (None,)
