"""Late data is data: windows landed hours and days after their hour closed end up in their
own hour, then in Silver and Gold, through the fetch hour's late index, the sensor
`api_logs_late_hours` and the automation of the days downstream. Real moto S3, the simulator
over HTTP, real materializations; the expectations are the simulator's own record lists."""

import io
from datetime import date, timedelta

import dagster as dg
import pyarrow.parquet as pq
from cryptography.fernet import Fernet
from psycopg import sql

from taxi_platform.defs.clicks.click_events import click_events, silver_key
from taxi_platform.defs.clicks.mart_tables import MART_NAMES
from taxi_platform.defs.clicks.marts import gold_marts
from taxi_platform.defs.logs.api_logs import api_logs
from taxi_platform.defs.logs.late_hours import api_logs_late_hours
from taxi_platform.defs.logs.layout import late_prefix
from taxi_platform.defs.logs.store import read_quarantine
from taxi_platform_tests.clicks.reference_marts import KEYS, events, reference_marts
from taxi_platform_tests.logs.helpers import (
    bronze_records,
    build,
    canonical,
    day_prefixes,
    day_start,
    land_late,
    replay,
    served_by_hour,
)
from taxi_platform_tests.support import QUIET, checks, materializations

HOUR = timedelta(hours=1)


def key(hour) -> str:
    return f"{hour:%Y-%m-%d-%H:%M}"


def sensor_requests(instance, cursor=None) -> tuple[list[dg.RunRequest], str | None]:
    """One evaluation of the sensor as the daemon makes it."""
    result = api_logs_late_hours(dg.build_sensor_context(instance=instance, cursor=cursor))
    return result.run_requests, result.cursor


def lake_snapshot(lake, days) -> dict[str, bytes]:
    """Every object the pipeline wrote for `days` (bronze, quarantine, late index)."""
    prefixes = [p for day in days for p in day_prefixes(day) if not p.startswith("landing/")]
    return {k: lake.get_bytes(k) for p in prefixes for k in lake.list_keys(p)}


def test_late_windows_land_in_their_hour_too_late_ones_are_quarantined_and_reruns_change_nothing(
    log_source, clean_days, lake, stack_env
):
    day = date(2026, 2, 12)
    fetch_late, fetch_too_late = (day_start(day) + timedelta(days=d, hours=10) for d in (2, 9))
    days = [day, fetch_late.date(), fetch_too_late.date()]
    clean_days(*days)
    source = log_source(day, records_per_window=5)
    replay(source.resources, 0, 24)  # hours 00…02 = windows 0…59, without 25…27
    replay(source.resources, 28, 59)
    fernet = Fernet(stack_env["TAXI_LOG_FERNET_KEY"])
    at = fetch_late + timedelta(minutes=7)
    late_keys = land_late(lake, source.simulator, fernet, [26, 25], at)
    land_late(lake, source.simulator, fernet, [27], fetch_too_late + timedelta(minutes=7))
    assert source.simulator.served_windows == list(range(60))
    hours = [day_start(day) + h * HOUR for h in range(3)]

    with dg.DagsterInstance.ephemeral() as instance:
        on_time = build(source.resources, key(hours[0]), key(hours[2]), instance=instance)
        fetch_runs = [
            build(source.resources, key(h), instance=instance) for h in (fetch_late, fetch_too_late)
        ]
        requests, cursor = sensor_requests(instance)
        [late_run] = [build(source.resources, r.partition_key, instance=instance) for r in requests]
        snapshot = lake_snapshot(lake, days)
        reruns = [
            build(source.resources, key(h), instance=instance)
            for h in (fetch_late, fetch_too_late, hours[1])
        ]
        requests_again, _ = sensor_requests(instance, cursor)
        requests_from_start, _ = sensor_requests(instance)

    # The 01:00 hour was built without windows 25, 26; the fetch hour of 2 days later found
    # them, indexed them for 01:00 and the sensor asked for 01:00 once, which took them.
    before = {m["partition"]: m for m in materializations(on_time, api_logs)}
    assert before[key(hours[1])]["dagster/row_count"] == 20 * 5 - 3 * 5
    assert [r.partition_key for r in requests] == [key(hours[1])]
    [late_meta] = materializations(late_run, api_logs)
    assert (late_meta["dagster/row_count"], late_meta["late_records"]) == (20 * 5 - 5, 10)
    assert len(lake.list_keys(late_prefix(hours[1]))) == 2
    served = served_by_hour(source.simulator, [k for k in range(60) if k != 27])
    for hour in hours:
        assert canonical(bronze_records(lake, hour)) == canonical(served[hour]), hour

    # Too late (9 days): quarantined by its fetch hour, with the reason; no hour re-opened.
    [fetch_meta, too_late_meta] = [materializations(r, api_logs)[0] for r in fetch_runs]
    assert (fetch_meta["records_in"], fetch_meta["late_hours"].keys()) == (0, {key(hours[1])})
    assert (too_late_meta["records_in"], too_late_meta["late_hours"]) == (5, {})
    assert too_late_meta["quarantine_reasons"] == {"TooLate": 5}
    assert requests[0].run_key == f"{key(hours[1])}:{fetch_meta['late_hours'][key(hours[1])]}"
    [document] = read_quarantine(lake, fetch_too_late).values()
    assert canonical(r["record"] for r in document["records"]) == canonical(
        source.simulator.window_records(27)
    )

    # Every record served is counted by exactly one hour, and every check passes.
    runs = [on_time, *fetch_runs, late_run]
    latest = {m["partition"]: m for r in runs for m in materializations(r, api_logs)}
    assert sum(m["records_in"] for m in latest.values()) == 60 * 5
    assert (
        sum(
            m["records_written"] + m["records_quarantined"] + m["duplicates"]
            for m in latest.values()
        )
        == 60 * 5
    )
    assert all(e.passed for r in [*runs, *reruns] for e in checks(r).values())

    # Re-running any of them changes nothing, and asks for nothing new.
    assert lake_snapshot(lake, days) == snapshot
    assert [materializations(r, api_logs)[0]["dagster/row_count"] for r in reruns] == [0, 0, 95]
    assert {r.run_key for r in requests_again} <= {r.run_key for r in requests}
    assert {r.run_key for r in requests_from_start} == {r.run_key for r in requests}

    # A landing object expired by the bucket's retention: its index entry is skipped.
    lake.get_client().delete_object(Bucket=lake.bucket, Key=late_keys[0])
    expired = build(source.resources, key(hours[1]))
    assert materializations(expired, api_logs)[0]["dagster/row_count"] == 95 - 5
    assert all(e.passed for e in checks(expired).values())


def test_a_day_late_records_reopen_goes_through_silver_and_gold(
    log_source, clean_days, lake, stack_env, resources, gold_db
):
    """A day with a late hour: bronze, the sensor, then the automation re-materializes the day
    in Silver and Gold, whose counts equal the simulator's; a re-run changes nothing."""
    from taxi_platform.defs.logs.landing import api_logs_landing

    day, late_windows, late_hour = date(2026, 3, 25), [100, 101, 102], 5
    fetch_late = day_start(day) + timedelta(days=2, hours=10)
    clean_days(day, fetch_late.date())
    source = log_source(day, records_per_window=3)
    replay(source.resources, 0, 99)
    replay(source.resources, 103, 479)
    defs = dg.Definitions(
        assets=[api_logs_landing, api_logs, click_events, gold_marts], resources=resources
    )
    targets = [dg.AssetKey("click_events"), *map(dg.AssetKey, MART_NAMES)]

    def tick(at, cursor=None):
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, evaluation_time=at, cursor=cursor
        )
        return {k.to_user_string(): result.get_requested_partitions(k) for k in targets}, result

    def silver(instance):
        return dg.materialize(
            [click_events],
            partition_key=day.isoformat(),
            resources=resources,
            instance=instance,
            run_config=QUIET,
        )

    try:
        instance = dg.DagsterInstance.ephemeral()
        _, initial = tick(day_start(day) + timedelta(hours=23))  # automation was on before
        build(source.resources, f"{day}-00:00", f"{day}-23:00", instance=instance)
        requested, first = tick(day_start(day) + timedelta(days=1, minutes=30), initial.cursor)
        assert requested == {k.to_user_string(): {day.isoformat()} for k in targets}
        incomplete = silver(instance)
        requested, settled = tick(day_start(day) + timedelta(days=1, minutes=40), first.cursor)
        assert requested == {k.to_user_string(): set() for k in targets}  # the daemon's next tick

        land_late(
            lake,
            source.simulator,
            Fernet(stack_env["TAXI_LOG_FERNET_KEY"]),
            late_windows,
            fetch_late + timedelta(minutes=7),
        )
        build(source.resources, key(fetch_late), instance=instance)
        requests, _ = sensor_requests(instance)
        assert [r.partition_key for r in requests] == [f"{day}-{late_hour:02d}:00"]
        build(source.resources, requests[0].partition_key, instance=instance)
        requested, _ = tick(fetch_late + timedelta(hours=1, minutes=30), settled.cursor)
        assert requested == {k.to_user_string(): {day.isoformat()} for k in targets}
        complete = silver(instance)
        marts = dg.materialize(
            [click_events, gold_marts],
            selection=list(MART_NAMES),
            partition_key=day.isoformat(),
            resources=resources,
            instance=instance,
            run_config=QUIET,
        )
        parquet = lake.get_bytes(silver_key(day))
        traffic = gold_db.fetch_frame(
            "SELECT event_date, total_events FROM mart_daily_traffic WHERE event_date = %s",
            [day],
        )

        build(source.resources, key(fetch_late), instance=instance)  # re-run: nothing changes
        build(source.resources, requests[0].partition_key, instance=instance)
        again = silver(instance)
        parquet_again = lake.get_bytes(silver_key(day))
    finally:
        lake.get_client().delete_object(Bucket=lake.bucket, Key=silver_key(day))
        for table in KEYS:
            query = sql.SQL("DELETE FROM {} WHERE event_date = %s")
            gold_db.execute(query.format(sql.Identifier(table)), [day])

    assert source.simulator.served_windows == list(range(480))
    served = [r for k in range(480) for r in source.simulator.window_records(k)]
    expected = events(served, [day])  # one row per distinct event of the day, independently
    late = sum(len(source.simulator.window_records(k)) for k in late_windows)

    def rows(result):
        return (
            result.asset_materializations_for_node("click_events")[0]
            .metadata["dagster/row_count"]
            .value
        )

    assert (rows(incomplete), rows(complete), rows(again)) == (
        len(expected) - late,
        len(expected),
        len(expected),
    )
    table = pq.read_table(io.BytesIO(parquet))
    assert table.num_rows == len(expected) and parquet_again == parquet
    reference = reference_marts(served, [day])["mart_daily_traffic"]
    assert list(traffic["total_events"]) == list(reference["total_events"]) == [len(expected)]
    assert all(c.passed for c in marts.get_asset_check_evaluations())
