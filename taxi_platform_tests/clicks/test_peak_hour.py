"""The hours and days a person reads are in the business time zone (`TAXI_TIMEZONE`):
`mart_daily_traffic.peak_hour`, `mart_hourly_traffic`'s local date and hour, and so the
Superset heatmap's cells. On a UTC day whose events cross midnight in Seoul (15:00 UTC) but
not in UTC nor in New York, each equals an independent pandas computation in the zone the run
had (the default Asia/Seoul, and America/New_York), and the peak differs from the UTC hour.
Stored timestamps stay UTC."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest
from psycopg import sql

from taxi_platform.defs.clicks.click_events import click_events, silver_key
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.defs.logs.codec import compress_records, encode_hour_object, hour_object_key
from taxi_platform.settings import timezone
from taxi_platform_dev.bi.reader import BiReader
from taxi_platform_dev.bi.superset_sql import charts_sql
from taxi_platform_tests.support import QUIET

DAY = date(2026, 2, 17)
START = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
# (UTC hour, minutes): Seoul 22:xx ×2, 23:xx ×3, 00:xx ×3 (the next Seoul day), 01:xx ×1.
# The tie 23 vs 00 is the smallest hour, 0, in Seoul; in UTC it would be 14 (= 23 in Seoul).
EVENTS = [(13, 10), (13, 40), (14, 5), (14, 25), (14, 50), (15, 5), (15, 30), (15, 55), (16, 20)]


def record(n: int, hour: int, minute: int) -> dict:
    return {
        "user_id": "cd" * 32,
        "session_id": f"night-{n % 2}",
        "method": "GET",
        "url": f"/d/{n}",
        "inDate": (START + timedelta(hours=hour, minutes=minute)).isoformat(
            timespec="microseconds"
        ),
        "document_id": n,
        "title": f"doc {n}",
    }


@pytest.fixture
def night_day(lake, gold_db):
    records = [record(n, hour, minute) for n, (hour, minute) in enumerate(EVENTS)]
    compressed, rejected = compress_records(records)
    assert rejected == []
    by_hour = {
        h: [r for r, (hour, _) in zip(compressed, EVENTS, strict=True) if hour == h]
        for h in range(24)
    }
    for h, hour_records in by_hour.items():
        key = hour_object_key(START + timedelta(hours=h))
        lake.put_bytes(key, encode_hour_object(hour_records), "application/gzip")
    yield records
    client = lake.get_client()
    for key in [*lake.list_keys(f"logs/{DAY:%Y/%m/%d}/"), silver_key(DAY)]:
        client.delete_object(Bucket=lake.bucket, Key=key)
    for table in MART_NAMES:
        query = sql.SQL("DELETE FROM {} WHERE event_date = %s").format(sql.Identifier(table))
        gold_db.execute(query, [DAY])


PEAKS = {"Asia/Seoul": 0, "America/New_York": 9}  # 23 vs 00 tie in Seoul; 13:xx UTC = 08:xx


@pytest.mark.parametrize("zone", sorted(PEAKS))
def test_hours_are_the_business_time_zone_hours(
    resources, gold_db, night_day, zone, monkeypatch, stack_env
):
    assert timezone() == "Asia/Seoul"  # the session runs with the default business zone
    monkeypatch.setenv("TAXI_TIMEZONE", zone)  # read by the marts' run
    instance = dg.DagsterInstance.ephemeral()
    for assets in ([click_events], [click_events, gold_marts]):
        result = dg.materialize(
            assets,
            selection=[click_events.key] if len(assets) == 1 else list(MART_NAMES),
            partition_key=DAY.isoformat(),
            resources=resources,
            instance=instance,
            run_config=QUIET,
        )
        assert result.success

    stamps = pd.to_datetime(pd.Series([r["inDate"] for r in night_day]), utc=True)
    assert (stamps.dt.date == DAY).all()  # one UTC day, no UTC midnight crossed
    local = stamps.dt.tz_convert(zone)
    assert local.dt.date.nunique() == (2 if zone == "Asia/Seoul" else 1)  # Seoul's midnight
    per_hour = local.dt.hour.value_counts()
    expected = int(per_hour[per_hour == per_hour.max()].index.min())
    utc_counts = stamps.dt.hour.value_counts()
    utc_peak = int(utc_counts[utc_counts == utc_counts.max()].index.min())

    [row] = gold_db.fetch_all(
        "SELECT peak_hour, total_events, first_click_ts FROM mart_daily_traffic "
        "JOIN (SELECT event_date, min(first_click_ts) AS first_click_ts "
        "FROM mart_session_analysis GROUP BY event_date) AS s USING (event_date) "
        "WHERE event_date = %s",
        [DAY],
    )
    assert (expected, utc_peak) == (PEAKS[zone], 14)
    assert row["peak_hour"] == expected
    assert row["total_events"] == len(EVENTS)
    assert row["first_click_ts"] == stamps.min().to_pydatetime()  # stored in UTC, unshifted

    cells = local.groupby([local.dt.date, local.dt.hour]).size()
    expected_cells = {(day, int(hour)): int(n) for (day, hour), n in cells.items()}
    hourly = gold_db.fetch_all(
        "SELECT local_date, local_hour, events FROM mart_hourly_traffic WHERE event_date = %s",
        [DAY],
    )
    assert {(r["local_date"], r["local_hour"]): r["events"] for r in hourly} == expected_cells
    # The heatmap's own query, as Superset's bi_reader runs it: the same cells.
    chart = BiReader(stack_env["TAXI_BI_READER_URL"]).run(
        "gold", charts_sql()["hourly_traffic_heatmap"]
    )
    shown = {
        (day.date(), hour): int(events)
        for day, hour, events in chart.rows
        if day.date() in set(local.dt.date)
    }
    assert shown == expected_cells
