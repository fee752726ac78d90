"""The dispatch API server's DynamoDB tables: written by that server, read by the counters."""

from taxi_platform.defs.counters import DOMAIN
from taxi_platform.defs.counters.items import (
    DESTINATION_TABLE,
    FLAG_TABLE,
    PICKUP_TABLE,
    ZONE_DISPATCH_TABLE,
)
from taxi_platform.external_assets import external_asset


def _table(name: str, variable: str, default: str, text: str):
    return external_asset(
        DOMAIN,
        ["dynamodb", name],
        group_name="counters",
        kinds={"dynamodb"},
        description=f"{text} Written by the dispatch API server; table `{default}` unless "
        f"`{variable}` names another.",
        metadata={"table_variable": variable, "default_table": default},
    )


pickup_counters = _table(
    "pickup_counters", "TAXI_PICKUP_TABLE", PICKUP_TABLE, "Pickups per zone since the last reset."
)
dispatch_counters = _table(
    "dispatch_counters",
    "TAXI_ZONE_DISPATCH_TABLE",
    ZONE_DISPATCH_TABLE,
    "Dispatches per zone since the last reset.",
)
flag_counters = _table(
    "flag_counters", "TAXI_FLAG_TABLE", FLAG_TABLE, "Dispatch and pickup totals since the reset."
)
taxi_destinations = _table(
    "taxi_destinations",
    "TAXI_DESTINATION_TABLE",
    DESTINATION_TABLE,
    "Each taxi's assignment: its destination zone, or none (unassigned).",
)
