"""`taxi-platform aws env --stack NAME`: the `aws` environment's variables from the outputs of
a CloudFormation stack of `infra/aws/taxi-platform.yaml`.

Why: after a deploy, the bucket's generated name, the table names and the RDS endpoint live
in the stack; copying them by hand into an env file is where typos come from. This prints
`export` lines (like `stack env` does for the local stack) for everything the stack knows,
and, commented out, the database URLs with a `<password>` placeholder: the writer roles'
passwords are set by whoever runs `infra/postgres/roles.sql`, and the stack never holds them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from taxi_platform.settings import INFRA_DIR, ConfigError, missing_in_aws

TEMPLATE = INFRA_DIR / "aws" / "taxi-platform.yaml"

# Stack output → the variable it sets.
OUTPUT_VARIABLES = {
    "AwsRegion": "AWS_REGION",
    "LakeBucket": "TAXI_LAKE_BUCKET",
    "PickupTable": "TAXI_PICKUP_TABLE",
    "FlagTable": "TAXI_FLAG_TABLE",
    "ZoneDispatchTable": "TAXI_ZONE_DISPATCH_TABLE",
    "DestinationTable": "TAXI_DESTINATION_TABLE",
}
# The databases' URLs: variable → (role, database, SQLAlchemy scheme or libpq's).
DATABASE_URLS = {
    "TAXI_POSTGRES_URL": ("spark_writer", "postgres", "postgresql"),
    "TAXI_DAILY_STATS_URL": ("stats_writer", "daily_stats_db", "postgresql"),
    "TAXI_GOLD_URL": ("gold_writer", "gold", "postgresql"),
    "TAXI_BI_READER_URL": ("bi_reader", "daily_stats_db", "postgresql"),
    "DAGSTER_PG_URL": ("dagster", "dagster", "postgresql+psycopg2"),
}
READY = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")


def stack_outputs(stack_name: str, region: str | None = None) -> dict[str, str]:
    """The stack's outputs by key; a missing or unfinished stack is a one-line error."""
    try:
        client = boto3.client("cloudformation", region_name=region)
        [stack] = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise ConfigError(
            f"CloudFormation stack {stack_name!r} cannot be read ({message}): deploy "
            f"{TEMPLATE.relative_to(INFRA_DIR.parent)} first, or check --stack and AWS_REGION"
        ) from None
    except BotoCoreError as exc:
        raise ConfigError(
            f"cannot reach CloudFormation for stack {stack_name!r} ({type(exc).__name__}): "
            "check AWS credentials (instance profile, ~/.aws, AWS_PROFILE) and AWS_REGION"
        ) from None
    status = stack["StackStatus"]
    if status not in READY:
        raise ConfigError(
            f"CloudFormation stack {stack_name!r} is {status}: wait for it to complete or "
            "fix the failed deploy (aws cloudformation describe-stack-events)"
        )
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def aws_environment(outputs: Mapping[str, str]) -> dict[str, str]:
    """The variables the outputs set, with `TAXI_PLATFORM_ENV=aws`."""
    missing = sorted(set(OUTPUT_VARIABLES) - set(outputs))
    if missing:
        raise ConfigError(
            f"the stack lacks outputs {', '.join(missing)}: update it from "
            f"{TEMPLATE.relative_to(INFRA_DIR.parent)}"
        )
    env = {"TAXI_PLATFORM_ENV": "aws"}
    env.update({variable: outputs[key] for key, variable in OUTPUT_VARIABLES.items()})
    return env


def export_lines(outputs: Mapping[str, Any]) -> str:
    """Shell lines: exports for what the stack knows, commented templates for the rest."""
    env = aws_environment(outputs)
    lines = [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    address, port = outputs.get("DatabaseAddress"), outputs.get("DatabasePort", "5432")
    if address:
        lines.append("# the databases: roles and their passwords from infra/postgres/roles.sql")
        lines += [
            f"# export {name}={scheme}://{role}:<password>@{address}:{port}/{database}"
            "?sslmode=require"  # RDS for PostgreSQL 15+ refuses unencrypted connections
            for name, (role, database, scheme) in DATABASE_URLS.items()
        ]
    still = [name for name in missing_in_aws(env) if name not in DATABASE_URLS]
    if still:
        lines.append(f"# also needed, not in the stack: {', '.join(still)}")
    return "\n".join(lines)
