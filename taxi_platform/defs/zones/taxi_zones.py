"""`taxi_zones`: the TLC zone table in the lake (`reference/`) and in database `postgres`."""

import dagster as dg

from taxi_platform.defs.zones import DOMAIN, sources
from taxi_platform.defs.zones.reference import parse_zone_table
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.resources.reference import ReferenceDataResource
from taxi_platform.table_schemas import table_metadata

ZONES_KEY = "reference/taxi_zone_lookup.csv"


@dg.asset(
    group_name="zones",
    deps=[sources.tlc_zone_table],
    **DOMAIN.attributes("reference", tier=1),
    metadata=table_metadata("postgres", "taxi_zones"),
    kinds={"s3", "postgres"},
    description=(
        "TLC taxi zone table (LocationID, Borough, Zone, service_zone) as published, copied to "
        f"`s3://<lake>/{ZONES_KEY}` and loaded into table `taxi_zones` of database `postgres`. "
        "Zone names key the DynamoDB counters; zone IDs key the trips."
    ),
)
def taxi_zones(
    context: dg.AssetExecutionContext,
    reference: ReferenceDataResource,
    lake: LakeResource,
    postgres_db: PostgresResource,
) -> dg.MaterializeResult:
    data = reference.fetch_zones()
    frame = parse_zone_table(data, source=reference.zones_location())
    lake.put_bytes(ZONES_KEY, data, content_type="text/csv")
    rows = postgres_db.replace_table("taxi_zones", frame)
    context.log.info(f"loaded {rows} zones into postgres.taxi_zones and s3 {ZONES_KEY}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "s3_key": ZONES_KEY,
            "boroughs": dg.MetadataValue.json(frame["borough"].value_counts().to_dict()),
            "preview": dg.MetadataValue.md(frame.head(10).to_markdown(index=False)),
        }
    )


@dg.asset_check(asset=taxi_zones, blocking=True, description="The table equals the lake's CSV.")
def taxi_zones_match_lake(lake: LakeResource, postgres_db: PostgresResource) -> dg.AssetCheckResult:
    expected = parse_zone_table(lake.get_bytes(ZONES_KEY), source=ZONES_KEY)
    table = postgres_db.fetch_frame(
        "SELECT location_id, borough, zone, service_zone FROM taxi_zones ORDER BY location_id"
    )
    table["location_id"] = table["location_id"].astype("int32")
    mismatched = len(expected.merge(table, how="outer", indicator=True).query("_merge != 'both'"))
    return dg.AssetCheckResult(
        passed=mismatched == 0 and len(table) == len(expected),
        metadata={"lake_rows": len(expected), "table_rows": len(table), "mismatched": mismatched},
    )
