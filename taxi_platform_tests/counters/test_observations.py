"""The DynamoDB tables' observed item counts on the real (moto) tables: each equals a scan
counted here, and only a change is recorded again."""

import dagster as dg

from taxi_platform.defs.counters.items import DEFAULT_TABLES, TAXI_KEY
from taxi_platform.defs.counters.observations import counter_tables_observation
from taxi_platform_tests.counters.helpers import put_items, scan_items, seed_counters

TABLE_OF = {
    "dynamodb/pickup_counters": DEFAULT_TABLES.pickup,
    "dynamodb/dispatch_counters": DEFAULT_TABLES.zone_dispatch,
    "dynamodb/flag_counters": DEFAULT_TABLES.flag,
    "dynamodb/taxi_destinations": DEFAULT_TABLES.destination,
}


def observe(dynamodb, cursor=None) -> tuple[dict[str, int], str]:
    with dg.build_sensor_context(cursor=cursor, resources={"dynamodb": dynamodb}) as context:
        result = counter_tables_observation(context)
    seen = {
        e.asset_key.to_user_string(): e.metadata["dagster/row_count"].value
        for e in result.asset_events
    }
    return seen, result.cursor


def test_each_table_is_observed_with_its_item_count_and_again_only_when_it_changes(clean, dynamodb):
    seed_counters({"Midtown Center": 4, "JFK Airport": 2, "SoHo": 1}, {"SoHo": 1, "Chelsea": 3})
    taxis = [{TAXI_KEY: {"S": f"taxi-{n}"}} for n in range(7)]
    put_items(DEFAULT_TABLES.destination, taxis)

    seen, cursor = observe(dynamodb)
    assert seen == {key: len(scan_items(table)) for key, table in TABLE_OF.items()}
    assert seen["dynamodb/taxi_destinations"] == 7

    assert observe(dynamodb, cursor)[0] == {}  # nothing changed, nothing recorded
    put_items(DEFAULT_TABLES.destination, [{TAXI_KEY: {"S": "taxi-new"}}])
    assert observe(dynamodb, cursor)[0] == {
        "dynamodb/taxi_destinations": len(scan_items(DEFAULT_TABLES.destination))
    }
