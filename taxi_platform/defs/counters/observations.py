"""How many items each DynamoDB table of the dispatch API server holds, observed every five
minutes: the number of zones with counters, of totals, of taxis with an assignment, on the
tables' own pages in the UI (recorded when it changes)."""

import dagster as dg

from taxi_platform.defs.counters import sources
from taxi_platform.observations import OBSERVES, observation_result
from taxi_platform.resources.dynamodb import DynamoDBResource

# Each external table asset → the field of the DynamoDB resource that names its table.
TABLE_FIELDS = {
    sources.pickup_counters.key: "pickup_table",
    sources.dispatch_counters.key: "zone_dispatch_table",
    sources.flag_counters.key: "flag_table",
    sources.taxi_destinations.key: "destination_table",
}


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    tags=OBSERVES,
    description="Observes the item count of the four DynamoDB tables (a COUNT scan each).",
)
def counter_tables_observation(context: dg.SensorEvaluationContext, dynamodb: DynamoDBResource):
    observed = {}
    for key, field in TABLE_FIELDS.items():
        table = getattr(dynamodb, field)
        observed[key] = {"dagster/row_count": dynamodb.count_items(table), "table": table}
    return observation_result(observed, context.cursor)
