"""`expected_pickups` and `adjacent_zones`: the zone models, in database `postgres`.

One SQL model (`sql/`, built by `model_sql.py`) filters the trips and computes both tables
from one read, on the engine `TAXI_ENGINE` chooses (`EngineResource`: DuckDB reading the lake
directly, or Spark through `SparkResource` and Pipes); the asset loads both results with
COPY, replacing both tables in one transaction (readers never see one new table beside one
old), and reports the run's metadata (input rows, rows dropped per filter, output rows,
engine and its time) with the load's.
"""

from collections.abc import Mapping

import dagster as dg
import pyarrow as pa
from pydantic import Field

from taxi_platform.defs.zones import DOMAIN, taxi_trips, taxi_zones
from taxi_platform.defs.zones.model_quality import (
    adjacency_problems,
    negative_expectations,
    zones_missing_hours,
)
from taxi_platform.defs.zones.model_sql import (
    FILTER_COUNTS,
    FILTERS,
    MODEL_TABLES,
    filter_counts,
    zone_models_sql,
)
from taxi_platform.defs.zones.reference import UNKNOWN_LOCATION_IDS
from taxi_platform.defs.zones.taxi_trips import partition_of_month
from taxi_platform.defs.zones.trip_files import TRIPS_PREFIX, select_window, trip_key
from taxi_platform.previews import markdown_preview
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.resources.spark import SPARK_POOL, SparkResource
from taxi_platform.table_schemas import table_metadata

WINDOW = (
    "Unpartitioned on purpose: each table is ONE aggregate over a window of months (run "
    "config `months`; default every month whose file is in `raw/nyc_taxi/` and was not "
    "rejected by `taxi_trips`: left-out months are named in the run's metadata), replaced whole. "
    "So any recompute, one month or ten years, is one engine run and one table swap, and "
    "`dagster asset materialize --select expected_pickups,adjacent_zones` needs no partition. "
    "Monthly partitions would mark months materialized that the table no longer reflects "
    "after the next window. New months arrive as `taxi_trips` partitions (sensor); the "
    "automation condition recomputes the window once they are in."
)
# Eager, except that it does not wait for *every* taxi_trips month to exist.
AUTOMATION = (
    dg.AutomationCondition.eager()
    .without(~dg.AutomationCondition.any_deps_missing())
    .with_label("eager over the trip months present")
)


class ZoneModelsConfig(dg.Config):
    months: list[str] = Field(
        default_factory=list,
        description="YYYY-MM months of the window; empty = every month with a trip file.",
    )
    adjacency_minutes: float = Field(
        default=5.0, gt=0, description="average travel time under which zones are adjacent"
    )
    max_trip_minutes: float = Field(
        default=180.0, gt=0, description="longer trips are meters left running: dropped"
    )


def _spec(name: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        name,
        deps=[taxi_trips.taxi_trips],
        group_name="zones",
        **DOMAIN.attributes("gold", tier=1),
        kinds={"duckdb", "spark", "postgres"},
        description=f"{description}\n\n{WINDOW}",
        metadata=table_metadata("postgres", name),
        automation_condition=AUTOMATION,
    )


def rejected_months(instance: dg.DagsterInstance, months: list[str]) -> dict[str, str]:
    """Month → why, for the months whose latest `taxi_trips` materialization rejected the file
    (truncated, not Parquet, not a published schema). A month never materialized is not
    rejected: it is read as before, and its file's first validation is the sensor's."""
    rejected = {}
    for month in months:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=taxi_trips.taxi_trips.key, asset_partitions=[partition_of_month(month)]
            ),
            limit=1,
        ).records
        event = records[0].asset_materialization if records else None
        accepted = event.metadata.get("accepted") if event else None
        if accepted is not None and accepted.value is False:
            reason = event.metadata.get("rejection")
            rejected[month] = str(reason.value) if reason is not None else "rejected"
    return rejected


def run_zone_models(
    context: dg.AssetExecutionContext,
    engine: EngineResource,
    lake: LakeResource,
    spark: SparkResource,
    inputs: Mapping[str, str],
    config: ZoneModelsConfig,
) -> tuple[dict[str, pa.Table], dict]:
    """Both models over `inputs` (month → s3:// URI) on the chosen engine: their tables and
    the run's metadata (window, rows per filter, engine and its time)."""
    model = zone_models_sql(inputs, config.adjacency_minutes, config.max_trip_minutes)
    run = engine.run(context, model, lake, spark)
    counts = filter_counts(run.tables[FILTER_COUNTS])
    context.log.info(f"zone models over {sorted(inputs)}: {counts}")
    metadata = {
        "months": dg.MetadataValue.json(sorted(inputs)),
        "days_in_window": model.params["days_in_window"],
        "input_rows": sum(counts.values()),
        "valid_rows": counts["valid"],
        **{f"dropped_{name}": counts[name] for name in FILTERS},
        **run.metadata,
    }
    return {name: run.tables[name] for name in MODEL_TABLES}, metadata


@dg.multi_asset(
    name="zone_models",
    pool=SPARK_POOL,
    specs=[
        _spec(
            "expected_pickups",
            "Per (pickup_zone_id, pickup_hour): average pickups in that hour per day of the "
            "window (days without pickups count as zero); 24 rows for every zone with valid "
            "trips. Table `expected_pickups` of database `postgres`.",
        ),
        _spec(
            "adjacent_zones",
            "Per pickup zone: the other zones reached on average in under 5 minutes "
            "(configurable), as `int[]`. Table `adjacent_zones` of database `postgres`.",
        ),
    ],
)
def zone_models(
    context: dg.AssetExecutionContext,
    config: ZoneModelsConfig,
    lake: LakeResource,
    engine: EngineResource,
    spark: SparkResource,
    postgres_db: PostgresResource,
):
    try:
        months = select_window(lake.list_keys(TRIPS_PREFIX), config.months, lake.bucket)
    except ValueError as exc:
        raise dg.Failure(str(exc)) from None
    rejected = rejected_months(context.instance, months)
    if rejected and config.months:
        named = "; ".join(f"{trip_key(m)}: {why}" for m, why in sorted(rejected.items()))
        raise dg.Failure(
            f"months {sorted(rejected)} were rejected by taxi_trips ({named}): upload valid "
            "files and materialize their taxi_trips partitions, or leave them out of `months`"
        )
    if rejected:
        context.log.warning(
            f"left out of the window, rejected by taxi_trips: {', '.join(sorted(rejected))} "
            f"(first: {trip_key(min(rejected))}: {rejected[min(rejected)]})"
        )
        months = [m for m in months if m not in rejected]
        if not months:
            raise dg.Failure(
                f"every trip month was rejected by taxi_trips ({', '.join(sorted(rejected))}): "
                "upload valid TLC files and materialize their taxi_trips partitions"
            )
    inputs = {m: f"s3://{lake.bucket}/{trip_key(m)}" for m in months}
    tables, run_metadata = run_zone_models(context, engine, lake, spark, inputs, config)
    loaded = postgres_db.replace_tables({name: ({}, table) for name, table in tables.items()})
    for name in MODEL_TABLES:
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                **run_metadata,
                "output_rows": tables[name].num_rows,
                "window_months": months,
                "months_left_out": dg.MetadataValue.json(rejected),
                "dagster/row_count": loaded[name].inserted,
                "table": f"postgres.{name}",
                "preview": dg.MetadataValue.md(
                    markdown_preview(tables[name].slice(0, 10).to_pandas())
                ),
            },
        )


CHECK_SPECS = [
    dg.AssetCheckSpec(
        "expected_pickups_every_hour",
        asset="expected_pickups",
        description="Every zone with trips has exactly the hours 0–23.",
    ),
    dg.AssetCheckSpec(
        "expected_pickups_non_negative",
        asset="expected_pickups",
        description="expected_pickups ≥ 0 in every row.",
    ),
    dg.AssetCheckSpec(
        "adjacent_zones_valid",
        asset="adjacent_zones",
        additional_deps=[taxi_zones.taxi_zones],
        description="Zones and their neighbours are valid zones of `taxi_zones` (264/265 are "
        "not), no zone lists itself or a neighbour twice, no list is empty.",
    ),
]


@dg.multi_asset_check(specs=CHECK_SPECS, name="zone_model_checks")
def zone_model_checks(postgres_db: PostgresResource):
    """The three checks of what the run published, as one step that reads each table once
    over one connection (three steps cost three resource starts and connections)."""
    frames = postgres_db.fetch_frames(
        {
            "expected": (
                "SELECT pickup_zone_id, pickup_hour, expected_pickups FROM expected_pickups",
                None,
            ),
            "zones": ("SELECT location_id FROM taxi_zones", None),
            "adjacency": ("SELECT zone_id, adjacent_zone_ids FROM adjacent_zones", None),
        }
    )
    expected, zones, adjacency = frames["expected"], frames["zones"], frames["adjacency"]
    missing = zones_missing_hours(expected)
    yield dg.AssetCheckResult(
        asset_key="expected_pickups",
        check_name="expected_pickups_every_hour",
        passed=len(expected) > 0 and not missing,
        metadata={
            "zones": int(expected["pickup_zone_id"].nunique()) if len(expected) else 0,
            "zones_missing_hours": dg.MetadataValue.json(missing),
        },
    )
    negative = negative_expectations(expected)
    yield dg.AssetCheckResult(
        asset_key="expected_pickups",
        check_name="expected_pickups_non_negative",
        passed=negative == 0,
        metadata={"negative_rows": negative},
    )
    valid = set(zones["location_id"]) - UNKNOWN_LOCATION_IDS if len(zones) else set()
    problems = adjacency_problems(adjacency, valid)
    yield dg.AssetCheckResult(
        asset_key="adjacent_zones",
        check_name="adjacent_zones_valid",
        passed=bool(valid) and not any(problems.values()),
        description=None if valid else "taxi_zones is empty: materialize taxi_zones first",
        metadata={
            "zones": len(adjacency),
            **{rule: dg.MetadataValue.json(ids) for rule, ids in problems.items()},
        },
    )


MODEL_CHECKS = [zone_model_checks]
