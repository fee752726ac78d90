"""infra/aws/compute.yaml: linted by cfn-lint, and deployed on the session's moto server after
the platform stack, with that stack's outputs, as an operator would (two stacks, CloudFormation
API over HTTP). What moto cannot prove: that the instance boots and its user data works (the
user data is run in a container by test_compute_user_data.py) and that AWS accepts every
property (cfn-lint checks them against AWS's resource schemas)."""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from cfnlint.api import ManualArgs, lint, lint_file
from cfnlint.decode import decode_str

from taxi_platform.settings import INFRA_DIR
from taxi_platform_dev.deploy.aws_env import TEMPLATE as PLATFORM_TEMPLATE
from taxi_platform_tests.deploy.moto_network import REGION, moto_session, vpc_with_two_subnets

COMPUTE_TEMPLATE = INFRA_DIR / "aws" / "compute.yaml"
# moto refuses to create AWS's reserved /aws/... names and resolves a parameter's default even
# when a value is passed: the image parameter's default (AWS's public Debian 13 parameter) is
# swapped for a look-alike the test creates, in the deployed copy of the template only.
AWS_AMI_PARAMETER = "/aws/service/debian/release/13/latest/amd64"
AMI_PARAMETER = "/taxi-platform-test/debian/release/13/latest/amd64"


def test_cfn_lint_finds_nothing_and_would_find_a_bad_instance_type():
    args = ManualArgs(regions=[REGION])
    assert lint_file(COMPUTE_TEMPLATE, args) == []
    broken = COMPUTE_TEMPLATE.read_text().replace("HttpTokens: required", "HttpTokens: maybe")
    assert [m.rule.id for m in lint(broken, config=args)], "cfn-lint must reject a bad enum"


def _deploy(cfn, name: str, template: str, parameters: dict[str, str]) -> dict[str, str]:
    cfn.create_stack(
        StackName=name,
        TemplateBody=template,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    deadline = time.monotonic() + 60
    while (stack := cfn.describe_stacks(StackName=name)["Stacks"][0])["StackStatus"].endswith(
        "IN_PROGRESS"
    ):
        assert time.monotonic() < deadline, f"{name} still {stack['StackStatus']}"
        time.sleep(0.5)
    assert stack["StackStatus"] == "CREATE_COMPLETE", cfn.describe_stack_events(StackName=name)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@pytest.fixture(scope="module")
def compute(stack_env) -> dict:
    endpoint = stack_env["AWS_ENDPOINT_URL"]
    session = moto_session()
    ec2 = session.client("ec2", endpoint_url=endpoint)
    vpc, subnets = vpc_with_two_subnets(ec2, 43)
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    session.client("ssm", endpoint_url=endpoint).put_parameter(
        Name=AMI_PARAMETER, Value=ami, Type="String", Overwrite=True
    )
    suffix = uuid.uuid4().hex[:8]
    cfn = session.client("cloudformation", endpoint_url=endpoint)
    platform = _deploy(
        cfn,
        f"taxi-platform-{suffix}",
        PLATFORM_TEMPLATE.read_text(),
        {
            "VpcId": vpc,
            "DbSubnetIds": ",".join(subnets),
            "LakeBucketName": f"cmp-{suffix}-lake",
            "PickupTableName": f"cmp-{suffix}-pickup",
            "FlagTableName": f"cmp-{suffix}-flag",
            "ZoneDispatchTableName": f"cmp-{suffix}-dispatch",
            "DestinationTableName": f"cmp-{suffix}-destination",
        },
    )
    parameters = {
        "PlatformInstanceProfile": platform["PlatformInstanceProfile"],
        "PlatformSecurityGroup": platform["PlatformSecurityGroup"],
        "VpcId": vpc,
        "SubnetId": subnets[0],
        "AdminCidr": "203.0.113.7/32",
        "RepositoryUrl": "https://git.example.com/taxi_platform.git",
        "RepositoryRef": "release-1",
    }
    template = COMPUTE_TEMPLATE.read_text()
    assert f"Default: {AWS_AMI_PARAMETER}" in template
    template = template.replace(AWS_AMI_PARAMETER, AMI_PARAMETER)
    outputs = _deploy(cfn, f"taxi-compute-{suffix}", template, parameters)
    resources = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cfn.describe_stack_resources(StackName=f"taxi-compute-{suffix}")["StackResources"]
    }
    return {"ec2": ec2, "ami": ami, "outputs": outputs, "resources": resources, **parameters}


def test_the_stack_creates_the_host_with_the_platform_profile_and_groups(compute):
    ec2, outputs = compute["ec2"], compute["outputs"]
    [reservation] = ec2.describe_instances(InstanceIds=[outputs["HostInstanceId"]])["Reservations"]
    [host] = reservation["Instances"]
    assert host["ImageId"] == compute["ami"]  # resolved through the SSM parameter
    assert host["InstanceType"] == "t3.xlarge"
    assert host["SubnetId"] == compute["SubnetId"]
    assert host["PrivateIpAddress"] == outputs["HostPrivateAddress"]
    assert host["IamInstanceProfile"]["Arn"].endswith("/" + compute["PlatformInstanceProfile"])
    # moto's CloudFormation drops an instance's SecurityGroupIds and LaunchTemplate: those
    # are read from the template, the launch template itself from moto.
    properties = decode_str(COMPUTE_TEMPLATE.read_text())[0]["Resources"]["Host"]["Properties"]
    assert properties["SecurityGroupIds"] == [
        {"Ref": "HostSecurityGroup"},
        {"Ref": "PlatformSecurityGroup"},  # the group RDS admits
    ]
    assert properties["LaunchTemplate"]["LaunchTemplateId"] == {"Ref": "HostLaunchTemplate"}
    [version] = ec2.describe_launch_template_versions(
        LaunchTemplateId=compute["resources"]["HostLaunchTemplate"]
    )["LaunchTemplateVersions"]
    metadata = version["LaunchTemplateData"]["MetadataOptions"]
    assert metadata["HttpTokens"] == "required" and metadata["HttpPutResponseHopLimit"] == 2

    [own] = ec2.describe_security_groups(GroupIds=[outputs["HostSecurityGroup"]])["SecurityGroups"]
    assert [
        (p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
        for p in own["IpPermissions"]
    ] == [("tcp", 22, 22, ["203.0.113.7/32"])]  # nothing else is open

    user_data = ec2.describe_instance_attribute(
        InstanceId=host["InstanceId"], Attribute="userData"
    )["UserData"]["Value"]
    script = base64.b64decode(user_data).decode()
    assert script.startswith("#!/bin/bash\nset -euo pipefail\n")
    assert (
        'git clone --depth 1 --branch "release-1" '
        '"https://git.example.com/taxi_platform.git" /opt/taxi_platform'
    ) in script
    assert "${" not in script  # every parameter substituted
