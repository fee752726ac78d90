"""infra/aws/taxi-platform.yaml: linted by cfn-lint, deployed on the session's moto server
through its CloudFormation API (over HTTP, as on AWS), and its outputs, turned into the
`aws` environment by `taxi-platform aws env`, run real assets against what it created.

What moto cannot prove: that AWS accepts every property (cfn-lint checks them against AWS's
own resource schemas) and that the RDS instance serves PostgreSQL (moto's RDS is metadata
only, so the assets here use the session's embedded PostgreSQL for the databases).
"""

from __future__ import annotations

import ast
import shlex
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml
from cfnlint.api import ManualArgs, lint, lint_file

from taxi_platform.defs.counters.items import FLAG_KEY, TAXI_KEY, ZONE_KEY
from taxi_platform.defs.counters.live_view import counters_live_view
from taxi_platform.defs.logs.layout import LANDING_PREFIX, LATE_PREFIX
from taxi_platform.defs.zones.taxi_zones import taxi_zones, taxi_zones_match_lake
from taxi_platform.resources.spark import SPARK_OUTPUT_PREFIX
from taxi_platform.resources.wiring import build_resources
from taxi_platform.settings import SETTINGS
from taxi_platform_dev.cli import main
from taxi_platform_dev.deploy.aws_env import OUTPUT_VARIABLES, TEMPLATE
from taxi_platform_tests.deploy.moto_network import REGION, moto_session, vpc_with_two_subnets
from taxi_platform_tests.support import QUIET

# The key attribute the counters' code reads each DynamoDB table by, by the variable that
# names the table: the template must create exactly these.
TABLE_KEYS = {
    "TAXI_PICKUP_TABLE": ZONE_KEY,
    "TAXI_FLAG_TABLE": FLAG_KEY,
    "TAXI_ZONE_DISPATCH_TABLE": ZONE_KEY,
    "TAXI_DESTINATION_TABLE": TAXI_KEY,
}
TABLE_PARAMETERS = {
    "TAXI_PICKUP_TABLE": "PickupTableName",
    "TAXI_FLAG_TABLE": "FlagTableName",
    "TAXI_ZONE_DISPATCH_TABLE": "ZoneDispatchTableName",
    "TAXI_DESTINATION_TABLE": "DestinationTableName",
}
# What the platform's code calls (resources/lake.py, resources/dynamodb.py, counters/reset.py).
LAKE_ACTIONS = {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
COUNTER_ACTIONS = {"dynamodb:Scan", "dynamodb:UpdateItem"}


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, …) read as plain values."""


def _short_tag(loader: yaml.SafeLoader, tag: str, node: yaml.Node) -> dict:
    """`!Ref X` → {"Ref": "X"}, `!GetAtt A.b` → {"GetAtt": "A.b"}: enough to read values."""
    if isinstance(node, yaml.ScalarNode):
        return {tag: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {tag: loader.construct_sequence(node, deep=True)}
    return {tag: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _short_tag)


def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)


def test_cfn_lint_finds_nothing_and_would_find_a_broken_property(tmp_path: Path):
    args = ManualArgs(regions=[REGION])
    assert lint_file(TEMPLATE, args) == []
    broken = TEMPLATE.read_text().replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE", 1)
    assert [m.rule.id for m in lint(broken, config=args)], "cfn-lint must reject a bad enum"


def test_outputs_cover_the_variables_and_parameters_default_to_the_design():
    body = template()
    assert set(OUTPUT_VARIABLES) <= set(body["Outputs"]), "template lacks outputs aws env reads"
    for key, variable in OUTPUT_VARIABLES.items():
        assert body["Outputs"][key]["Description"] == variable, key
    for variable, parameter in TABLE_PARAMETERS.items():
        assert body["Parameters"][parameter]["Default"] == SETTINGS[variable].default


@pytest.fixture(scope="module")
def deployed(stack_env) -> dict:
    """The template deployed on moto with names of its own (the session stack's are taken)."""
    endpoint = stack_env["AWS_ENDPOINT_URL"]
    session = moto_session()
    ec2 = session.client("ec2", endpoint_url=endpoint)
    vpc, subnets = vpc_with_two_subnets(ec2, 42)
    suffix = uuid.uuid4().hex[:8]
    names = {variable: f"cfn-{suffix}-{variable.lower()}" for variable in TABLE_PARAMETERS}
    parameters = {
        "VpcId": vpc,
        "DbSubnetIds": ",".join(subnets),
        "LakeBucketName": f"cfn-{suffix}-lake",
        **{TABLE_PARAMETERS[v]: name for v, name in names.items()},
    }
    stack_name = f"taxi-platform-{suffix}"
    cfn = session.client("cloudformation", endpoint_url=endpoint)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    deadline = time.monotonic() + 60
    while (
        status := cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    ).endswith("IN_PROGRESS"):
        assert time.monotonic() < deadline, f"stack still {status}"
        time.sleep(0.5)
    assert status == "CREATE_COMPLETE", cfn.describe_stack_events(StackName=stack_name)
    return {"session": session, "endpoint": endpoint, "name": stack_name, **parameters}


def test_aws_env_of_a_missing_stack_is_one_line_naming_it(stack_env, capsys):
    assert main(["aws", "env", "--stack", "no-such-stack", "--region", REGION]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "'no-such-stack'" in line and "infra/aws/taxi-platform.yaml" in line


def _status(cfn, stack_name: str) -> str:
    return cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]


def test_the_stack_creates_the_tables_bucket_database_and_role_of_the_design(deployed):
    session, endpoint = deployed["session"], deployed["endpoint"]
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    for variable, key in TABLE_KEYS.items():
        table = dynamodb.describe_table(TableName=deployed[TABLE_PARAMETERS[variable]])["Table"]
        assert table["KeySchema"] == [{"AttributeName": key, "KeyType": "HASH"}], variable
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", variable

    s3 = session.client("s3", endpoint_url=endpoint)
    bucket = deployed["LakeBucketName"]
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # moto's CloudFormation applies only encryption and tags to a bucket: the rest is read
    # from the template (cfn-lint has checked it against AWS's schema).
    properties = template()["Resources"]["LakeBucket"]["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    rules = {r.get("Prefix"): r for r in properties["LifecycleConfiguration"]["Rules"]}
    [scratch] = [p for p in rules if p and f"{SPARK_OUTPUT_PREFIX}/".startswith(p)]
    assert rules[scratch]["ExpirationInDays"] == 1
    [landing] = [p for p in rules if p and LANDING_PREFIX.startswith(p)]
    assert rules[landing]["ExpirationInDays"] == {"Ref": "LandingRetentionDays"}
    [late] = [p for p in rules if p and LATE_PREFIX.startswith(p)]
    assert rules[late]["ExpirationInDays"] == {"Ref": "LandingRetentionDays"}
    kept = ("logs/", "silver/", "raw/", "reference/", "quarantine/")
    assert not [p for p in rules if p and p.startswith(kept)], "the data itself is never expired"

    rds = session.client("rds", endpoint_url=endpoint)
    resources = session.client("cloudformation", endpoint_url=endpoint).describe_stack_resources(
        StackName=deployed["name"]
    )["StackResources"]
    # moto lists the resources it does not model (the Glue database and tables) without ids
    physical = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in resources
        if "LogicalResourceId" in r
    }
    [db] = rds.describe_db_instances(DBInstanceIdentifier=physical["Database"])["DBInstances"]
    assert db["Engine"] == "postgres" and db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    database = template()["Resources"]["Database"]  # what moto's RDS does not model
    assert database["Properties"]["DeletionProtection"] is True
    assert database["Properties"]["ManageMasterUserPassword"] is True  # no password anywhere
    assert "MasterUserPassword" not in database["Properties"]
    assert database["DeletionPolicy"] == "Snapshot"

    iam = session.client("iam", endpoint_url=endpoint)
    role = physical["PlatformRole"]
    allowed: dict[str, set[str]] = {}
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        if isinstance(document, str):  # moto keeps a template's policy as Python's repr
            document = ast.literal_eval(document)
        for statement in document["Statement"]:
            actions = statement["Action"]
            targets = statement["Resource"]
            for target in [targets] if isinstance(targets, str) else targets:
                allowed.setdefault(target, set()).update(
                    [actions] if isinstance(actions, str) else actions
                )
    assert allowed[f"arn:aws:s3:::{bucket}"] | allowed[f"arn:aws:s3:::{bucket}/*"] >= LAKE_ACTIONS
    for variable in ("TAXI_PICKUP_TABLE", "TAXI_FLAG_TABLE", "TAXI_ZONE_DISPATCH_TABLE"):
        arn = f"arn:aws:dynamodb:{REGION}:123456789012:table/{deployed[TABLE_PARAMETERS[variable]]}"
        assert allowed[arn] >= COUNTER_ACTIONS, variable
    destination = deployed[TABLE_PARAMETERS["TAXI_DESTINATION_TABLE"]]
    assert (
        "dynamodb:UpdateItem"
        not in allowed[f"arn:aws:dynamodb:{REGION}:123456789012:table/{destination}"]
    )  # the platform only reads the taxi assignments


def test_aws_env_from_the_stack_runs_assets_against_what_it_created(
    deployed, stack_env, monkeypatch, capsys, daily_stats_db
):
    assert main(["aws", "env", "--stack", deployed["name"], "--region", REGION]) == 0
    printed = capsys.readouterr().out
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in printed.splitlines()
        if line.startswith("export ")
    )
    assert exports["TAXI_PLATFORM_ENV"] == "aws"
    assert exports["TAXI_LAKE_BUCKET"] == deployed["LakeBucketName"]
    assert "<password>@" in printed and "sslmode=require" in printed
    assert "TAXI_LOG_FERNET_KEY" in printed.splitlines()[-1]  # named as still needed

    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    session, endpoint = deployed["session"], deployed["endpoint"]
    # One AWS account: every service where CloudFormation created the stack (the session
    # stack's DynamoDB is a moto server of its own, which the template's tables are not in).
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    served = {"Seaport": (7, 3), "Union Sq": (4, 0)}  # zone → (dispatches, pickups)
    for zone, (dispatches, pickups) in served.items():
        for variable, count in (
            ("TAXI_ZONE_DISPATCH_TABLE", dispatches),
            ("TAXI_PICKUP_TABLE", pickups),
        ):
            dynamodb.put_item(
                TableName=exports[variable],
                Item={"zone_id": {"S": zone}, "count": {"N": str(count)}},
            )
    for kind, count in (("dispatch", 11), ("pickup", 3)):
        dynamodb.put_item(
            TableName=exports["TAXI_FLAG_TABLE"],
            Item={"counter_type": {"S": kind}, "count": {"N": str(count)}},
        )

    resources = build_resources("aws")
    assert resources["dynamodb"].pickup_table == "TAXI_PICKUP_TABLE"  # EnvVar, resolved at run
    result = dg.materialize(
        [counters_live_view, taxi_zones, taxi_zones_match_lake],
        resources=resources,
        run_config=QUIET,
    )
    assert result.success
    rows = daily_stats_db.fetch_all(
        "SELECT zone_id, dispatch_count, pickup_count FROM live_zone_counters ORDER BY zone_id"
    )
    assert [(r["zone_id"], r["dispatch_count"], r["pickup_count"]) for r in rows] == [
        (zone, d, p) for zone, (d, p) in sorted(served.items())
    ]
    s3 = session.client("s3", endpoint_url=endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=exports["TAXI_LAKE_BUCKET"])["Contents"]]
    assert keys == ["reference/taxi_zone_lookup.csv"]
