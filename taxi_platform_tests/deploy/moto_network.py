"""What the CloudFormation deploys on moto need that the templates take as parameters."""

from __future__ import annotations

import boto3

REGION = "ap-northeast-2"


def moto_session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


def vpc_with_two_subnets(ec2, second_octet: int) -> tuple[str, list[str]]:
    """A VPC 10.<second_octet>.0.0/16 and a subnet in each of two zones (RDS wants two)."""
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.{second_octet}.{i}.0/24",
            AvailabilityZone=f"{REGION}{zone}",
        )["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab", start=1)
    ]
    return vpc, subnets
