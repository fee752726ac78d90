"""The nastiest records the codec accepts reach Gold: Silver and the marts' COPY store them
(real moto S3, Spark in local mode, PostgreSQL `gold`). Unstorable records already in bronze
are set aside by Silver and never reach the COPY."""

from datetime import UTC, date, datetime, timedelta, timezone

import dagster as dg
import pytest
from psycopg import sql

from taxi_platform.defs.clicks.click_events import QUARANTINE_CHECK, click_events, silver_key
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.defs.logs.codec import (
    MAX_BIGINT,
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    compress_records,
    encode_hour_object,
    hour_object_key,
)
from taxi_platform_tests.support import QUIET, checks

DAY = date(2026, 3, 11)
START = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
USER = "ab" * 32


def nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth - 1):
        value = [value]
    return value


def view(minute: int, **fields) -> dict:
    return {
        "user_id": USER,
        "session_id": "survivor",
        "method": "GET",
        "url": "/d",
        # +14:00 / -12:00 style offsets: the UTC hour differs from the local one
        "inDate": (START + timedelta(hours=5, minutes=minute))
        .astimezone(fields.pop("tz", UTC))
        .isoformat(timespec="microseconds"),
        "document_id": fields.pop("document_id", 1),
        "title": fields.pop("title", "t"),
        **fields,
    }


TITLE = "🧪 Ünïcødé ‮ right-to-left \\ \" ' \t tab " + "x" * (MAX_TEXT_CHARS - 60)
SURVIVORS = [
    view(1, document_id=MAX_BIGINT, title=TITLE, clinical_area="ICU\u200b"),
    view(2, document_id=0, title="\U0010fffd", tz=timezone(timedelta(hours=14))),
    view(3, deep=nested(MAX_DEPTH), big=10**30, neg=-(10**30), tiny=5e-324, huge=1.7e308),
    {
        **{k: v for k, v in view(4).items() if k not in ("document_id", "title")},
        "query": "a\r\nb",
        "clinical_area": "ED",
    },
]


@pytest.fixture
def survivor_day(lake, gold_db):
    def clean() -> None:
        client = lake.get_client()
        for prefix in (f"logs/{DAY:%Y/%m/%d}/", f"quarantine/click_events/event_date={DAY}/"):
            for key in lake.list_keys(prefix):
                client.delete_object(Bucket=lake.bucket, Key=key)
        for table in MART_NAMES:
            gold_db.execute(
                sql.SQL("DELETE FROM {} WHERE event_date = %s").format(sql.Identifier(table)),
                [DAY],
            )

    clean()
    yield
    clean()
    lake.get_client().delete_object(Bucket=lake.bucket, Key=silver_key(DAY))


def test_the_nastiest_accepted_records_reach_gold_and_poison_does_not(
    resources, lake, gold_db, survivor_day
):
    compressed, rejected = compress_records(SURVIVORS)
    assert rejected == [], [str(r.error) for r in rejected]
    # bronze written before the codec checked text: Silver must keep these from the COPY
    old_poison = [
        {**compressed[0], "session_id": "poison", "title": "NUL\x00title"},
        {**compressed[0], "session_id": "poison", "clinical_area": "\ud800"},
    ]
    for h in range(24):
        hour = START + timedelta(hours=h)
        records = [*compressed, *old_poison] if h == 5 else []
        lake.put_bytes(hour_object_key(hour), encode_hour_object(records), "application/gzip")

    instance = dg.DagsterInstance.ephemeral()
    silver = dg.materialize(
        [click_events],
        partition_key=str(DAY),
        resources=resources,
        instance=instance,
        run_config=QUIET,
    )
    marts = dg.materialize(
        [click_events, gold_marts],
        selection=list(MART_NAMES),
        partition_key=str(DAY),
        resources=resources,
        instance=instance,
        run_config=QUIET,
    )

    assert silver.success and marts.success
    assert not checks(silver)[QUARANTINE_CHECK].passed
    documents = gold_db.fetch_all(
        "SELECT document_id, title FROM mart_popular_documents WHERE event_date = %s "
        "ORDER BY document_id",
        [DAY],
    )
    assert [(d["document_id"], d["title"]) for d in documents] == [
        (0, "\U0010fffd"),
        (1, "t"),
        (MAX_BIGINT, TITLE),
    ]
    areas = gold_db.fetch_all(
        "SELECT clinical_area FROM mart_clinical_areas WHERE event_date = %s", [DAY]
    )
    assert [a["clinical_area"] for a in areas] == ["ED"]
