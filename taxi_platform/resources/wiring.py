"""Resource wiring chosen by the one switch, `TAXI_PLATFORM_ENV`.

Both environments use the same resource classes; what differs is the defaults (the local
stack's SQL models run on DuckDB and its Spark runs `local[2]` and stages S3 inputs; AWS's
models run on the Spark cluster, which reads `s3a://`) and
which variables must be set. Values come from `dg.EnvVar`, never from code.
"""

from __future__ import annotations

from typing import Any

from taxi_platform.resources.dynamodb import DynamoDBResource
from taxi_platform.resources.engine import EngineResource
from taxi_platform.resources.io_manager import DeferredFilesystemIOManager
from taxi_platform.resources.lake import LakeResource
from taxi_platform.resources.log_api import LogApiResource
from taxi_platform.resources.postgres import PostgresResource
from taxi_platform.resources.reference import TLC_ZONES_URL, ReferenceDataResource
from taxi_platform.resources.spark import SparkResource
from taxi_platform.settings import INFRA_DIR, configured, current_environment, timezone


def _postgres(variable: str, ddl: str | None, time_zone: str | None = None) -> PostgresResource:
    return PostgresResource(
        url=configured(variable),
        url_variable=variable,
        schema_sql=str(INFRA_DIR / "postgres" / ddl) if ddl else None,
        time_zone=time_zone,
    )


def build_resources(environment: str | None = None) -> dict[str, Any]:
    environment = environment or current_environment()
    return {
        "lake": LakeResource(
            region_name=configured("AWS_REGION"), bucket=configured("TAXI_LAKE_BUCKET")
        ),
        "dynamodb": DynamoDBResource(
            region_name=configured("AWS_REGION"),
            pickup_table=configured("TAXI_PICKUP_TABLE"),
            flag_table=configured("TAXI_FLAG_TABLE"),
            zone_dispatch_table=configured("TAXI_ZONE_DISPATCH_TABLE"),
            destination_table=configured("TAXI_DESTINATION_TABLE"),
        ),
        "postgres_db": _postgres("TAXI_POSTGRES_URL", "postgres.sql"),
        # Grafana's counters dashboards read their hours and days in the business time zone.
        "daily_stats_db": _postgres("TAXI_DAILY_STATS_URL", "daily_stats_db.sql", timezone()),
        "gold_db": _postgres("TAXI_GOLD_URL", "gold.sql"),
        "spark": SparkResource(
            master=configured("TAXI_SPARK_MASTER"),
            input_mode=configured("TAXI_SPARK_INPUT_MODE")
            or ("s3a" if environment == "aws" else "stage"),
            log_level=configured("TAXI_SPARK_LOG_LEVEL"),
            remote=configured("TAXI_SPARK_REMOTE"),
        ),
        # The SQL models: DuckDB on one machine locally and in CI, the Spark cluster on AWS.
        "engine": EngineResource(
            engine=configured("TAXI_ENGINE") or ("spark" if environment == "aws" else "duckdb")
        ),
        "log_api": LogApiResource(
            url=configured("TAXI_LOG_API_URL"), fernet_key=configured("TAXI_LOG_FERNET_KEY")
        ),
        # On AWS TLC's own published table is the default; locally the copy shipped in data/.
        "reference": ReferenceDataResource(
            zones_url=configured("TAXI_ZONES_URL")
            or (TLC_ZONES_URL if environment == "aws" else None)
        ),
        # Dagster's filesystem IO manager, built only if an asset ever returns a value.
        "io_manager": DeferredFilesystemIOManager(),
    }
