"""Read a deployed trail and its policies (``--trail NAME_OR_ARN``), so a policy edited by hand is caught too.

Calls, each through the ordinary boto3 chain (``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` ...): CloudTrail
``GetTrail``; S3 ``GetBucketPolicy`` (``NoSuchBucketPolicy`` is the empty policy); KMS ``DescribeKey`` (an
alias to its key) and ``GetKeyPolicy``; SNS ``GetTopicAttributes`` (policy and ``KmsMasterKeyId``);
Organizations ``DescribeOrganization`` for an organization trail's ID unless ``--organization-id`` names it.
Any failure to read is reported with the call and the error, and makes the run exit 2 (cannot evaluate).

A central archive lives in another account than the trail, and neither S3 ``GetBucketPolicy`` (bucket owner's
account only) nor KMS ``GetKeyPolicy`` (no cross-account use) works from the trail's account: with
``--archive-role-arn`` the bucket and log key policies are read through that role (``sts:AssumeRole``), the
topic and its key with the caller's own credentials.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ebtrail.verifier.aws import Arn, client_config, describe_error
from ebtrail.verifier.preflight.cloudtrail_requests import TrailSubject

EMPTY_POLICY: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}


def _region_of(arn: str, default: str) -> str:
    parsed = Arn.parse(arn)
    return parsed.region if parsed and parsed.region else default


def archive_session(session: boto3.Session, role_arn: str) -> boto3.Session:
    """Credentials of the archive account, through a role the caller may assume."""
    sts: Any = session.client("sts", config=client_config())
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="ebtrail-preflight")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def trail_from_account(
    session: boto3.Session,
    trail: str,
    region: str | None = None,
    organization_id: str | None = None,
    archive_role_arn: str | None = None,
) -> TrailSubject:
    config = client_config()
    default_region = _region_of(trail, region or session.region_name or "us-east-1")
    problems: list[str] = []
    cloudtrail: Any = session.client("cloudtrail", region_name=default_region, config=config)
    try:
        described = cloudtrail.get_trail(Name=trail)["Trail"]
    except (ClientError, BotoCoreError) as exc:
        return TrailSubject(
            arn=trail if trail.startswith("arn:") else f"arn:aws:cloudtrail:{default_region}:?:trail/{trail}",
            home_region=default_region,
            multi_region=False,
            bucket="?",
            prefix="",
            unreadable=(describe_error("cloudtrail", "GetTrail", exc, trail),),
            source="deployed",
        )
    arn = str(described["TrailARN"])
    home = str(described.get("HomeRegion") or _region_of(arn, default_region))
    bucket = str(described["S3BucketName"])
    prefix = f"{described['S3KeyPrefix']}/" if described.get("S3KeyPrefix") else ""
    is_org = bool(described.get("IsOrganizationTrail"))

    archive = session
    if archive_role_arn:
        try:
            archive = archive_session(session, archive_role_arn)
        except (ClientError, BotoCoreError) as exc:
            problems.append(f"archive role: {describe_error('sts', 'AssumeRole', exc, archive_role_arn)}")
    hint = "" if archive_role_arn else " (a bucket or key of another account: pass --archive-role-arn)"
    s3: Any = archive.client("s3", region_name=home, config=config)
    bucket_policy: dict[str, Any] | None = None
    try:
        bucket_policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
            bucket_policy = EMPTY_POLICY
        else:
            problems.append(f"bucket policy: {describe_error('s3', 'GetBucketPolicy', exc, bucket)}{hint}")
    except (BotoCoreError, ValueError) as exc:
        problems.append(f"bucket policy: s3 GetBucketPolicy of {bucket} failed: {exc}")

    kms_arn = key_policy = None
    if described.get("KmsKeyId"):
        kms_arn, key_policy, problem = _key(archive, str(described["KmsKeyId"]), home)
        if problem:
            problems.append(f"log key policy: {problem}{hint}")

    topic_arn = described.get("SnsTopicARN")
    topic_policy = topic_key_arn = topic_key_policy = None
    if topic_arn:
        sns: Any = session.client("sns", region_name=_region_of(topic_arn, home), config=config)
        try:
            attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
            topic_policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else EMPTY_POLICY
            master = attributes.get("KmsMasterKeyId")
            if master:
                topic_key_arn, topic_key_policy, problem = _key(session, str(master), _region_of(topic_arn, home))
                if problem:
                    problems.append(f"topic key policy: {problem}")
        except (ClientError, BotoCoreError, ValueError) as exc:
            problems.append(f"topic policy: {describe_error('sns', 'GetTopicAttributes', exc, topic_arn)}")

    org_id = organization_id
    if is_org and not org_id:
        organizations: Any = session.client("organizations", region_name=home, config=config)
        try:
            org_id = str(organizations.describe_organization()["Organization"]["Id"])
        except (ClientError, BotoCoreError) as exc:
            problems.append(
                "organization ID: "
                + describe_error("organizations", "DescribeOrganization", exc)
                + " (or pass --organization-id)"
            )
    return TrailSubject(
        arn=arn,
        home_region=home,
        multi_region=bool(described.get("IsMultiRegionTrail")),
        bucket=bucket,
        prefix=prefix,
        organization_id=org_id,
        is_organization_trail=is_org,
        kms_key_arn=kms_arn,
        topic_arn=topic_arn,
        topic_key_arn=topic_key_arn,
        bucket_policy=bucket_policy,
        key_policy=key_policy,
        topic_policy=topic_policy,
        topic_key_policy=topic_key_policy,
        unreadable=tuple(problems),
        source="deployed",
    )


def _key(session: boto3.Session, key_id: str, region: str) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """(key ARN, key policy, problem) of a key named by ID, ARN, alias name or alias ARN."""
    kms: Any = session.client("kms", region_name=_region_of(key_id, region), config=client_config())
    try:
        key_arn = str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
    except (ClientError, BotoCoreError) as exc:
        return None, None, describe_error("kms", "DescribeKey", exc, key_id)
    try:
        policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    except (ClientError, BotoCoreError, ValueError) as exc:
        return key_arn, None, describe_error("kms", "GetKeyPolicy", exc, key_arn)
    return key_arn, policy, None
