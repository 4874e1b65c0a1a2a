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
from botocore.exceptions import ClientError

from ebtrail.core.regions import FALLBACK_REGION
from ebtrail.verifier.aws import AWS_ERRORS, Arn, Clients, answer_field, describe_error, error_code
from ebtrail.verifier.preflight.cloudtrail_requests import TrailSubject
from ebtrail.verifier.trail_info import TrailInfo, get_trail

EMPTY_POLICY: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}
#: A policy that cannot be read: AWS's errors (an answer that is not AWS's included) and a policy that is not JSON.
READ_ERRORS: tuple[type[Exception], ...] = (*AWS_ERRORS, ValueError)


def _region_of(arn: str, default: str) -> str:
    parsed = Arn.parse(arn)
    return parsed.region if parsed and parsed.region else default


def archive_session(clients: Clients, role_arn: str) -> boto3.Session:
    """Credentials of the archive account, through a role the caller may assume."""
    sts = clients.client("sts")
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="ebtrail-preflight")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=clients.session.region_name,
    )


def trail_from_account(
    session: boto3.Session,
    trail: str,
    region: str | None = None,
    organization_id: str | None = None,
    archive_role_arn: str | None = None,
) -> TrailSubject:
    default_region = _region_of(trail, region or session.region_name or FALLBACK_REGION)
    clients = Clients(session, default_region)
    problems: list[str] = []
    try:
        described = get_trail(clients.cloudtrail(), trail)
    except AWS_ERRORS as exc:
        return _unreadable(trail, default_region, describe_error("cloudtrail", "GetTrail", exc, trail))
    info = TrailInfo.from_get_trail(described, requested=trail, region=default_region)
    if not info.complete:
        return _unreadable(trail, default_region, f"cloudtrail GetTrail of {trail} named no trail ARN or S3 bucket")
    home = info.home_region
    bucket = info.bucket
    prefix = info.prefix

    archive = clients
    if archive_role_arn:
        try:
            archive = Clients(archive_session(clients, archive_role_arn), default_region)
        except AWS_ERRORS as exc:
            problems.append(f"archive role: {describe_error('sts', 'AssumeRole', exc, archive_role_arn)}")
    hint = "" if archive_role_arn else " (a bucket or key of another account: pass --archive-role-arn)"
    bucket_policy = _bucket_policy(archive.client("s3", home), bucket, hint, problems)

    kms_arn = key_policy = None
    if info.kms_key_id:
        kms_arn, key_policy, problem = _key(archive, info.kms_key_id, home)
        if problem:
            problems.append(f"log key policy: {problem}{hint}")

    topic_arn = info.topic_arn
    topic_policy = topic_key_arn = topic_key_policy = None
    if topic_arn:
        topic_policy, topic_key_arn, topic_key_policy = _topic(clients, topic_arn, home, problems)

    org_id = organization_id
    if info.organization and not org_id:
        org_id = _organization_id(Clients(session, home), problems)
    return TrailSubject(
        arn=info.arn,
        home_region=home,
        multi_region=info.multi_region,
        bucket=bucket,
        prefix=prefix,
        organization_id=org_id,
        is_organization_trail=info.organization,
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


def _bucket_policy(s3: Any, bucket: str, hint: str, problems: list[str]) -> dict[str, Any] | None:
    """The bucket's policy (the empty policy when it has none); None with a problem when it cannot be read."""
    try:
        policy: dict[str, Any] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucketPolicy":
            return EMPTY_POLICY
        problems.append(f"bucket policy: {describe_error('s3', 'GetBucketPolicy', exc, bucket)}{hint}")
        return None
    except READ_ERRORS as exc:
        problems.append(f"bucket policy: s3 GetBucketPolicy of {bucket} failed: {exc}")
        return None
    return policy


def _topic(
    clients: Clients, topic_arn: str, home: str, problems: list[str]
) -> tuple[dict[str, Any] | None, str | None, dict[str, Any] | None]:
    """(topic policy, topic key ARN, topic key policy) of the trail's topic; what cannot be read is None, with
    a problem."""
    sns = clients.client("sns", _region_of(topic_arn, home))
    topic_policy = topic_key_arn = topic_key_policy = None
    try:
        attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        topic_policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else EMPTY_POLICY
        master = attributes.get("KmsMasterKeyId")
        if master:
            topic_key_arn, topic_key_policy, problem = _key(clients, str(master), _region_of(topic_arn, home))
            if problem:
                problems.append(f"topic key policy: {problem}")
    except READ_ERRORS as exc:
        problems.append(f"topic policy: {describe_error('sns', 'GetTopicAttributes', exc, topic_arn)}")
    return topic_policy, topic_key_arn, topic_key_policy


def _organization_id(home_clients: Clients, problems: list[str]) -> str | None:
    """The organization of an organization trail, asked of Organizations; None with a problem when it cannot."""
    try:
        return home_clients.organization_id()
    except AWS_ERRORS as exc:
        problems.append(
            "organization ID: "
            + describe_error("organizations", "DescribeOrganization", exc)
            + " (or pass --organization-id)"
        )
        return None


def _unreadable(trail: str, region: str, problem: str) -> TrailSubject:
    """A trail that could not be read: evaluated as nothing, reported as cannot evaluate."""
    return TrailSubject(
        arn=trail if trail.startswith("arn:") else f"arn:aws:cloudtrail:{region}:?:trail/{trail}",
        home_region=region,
        multi_region=False,
        bucket="?",
        prefix="",
        unreadable=(problem,),
        source="deployed",
    )


def _key(clients: Clients, key_id: str, region: str) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """(key ARN, key policy, problem) of a key named by ID, ARN, alias name or alias ARN."""
    kms = clients.client("kms", _region_of(key_id, region))
    try:
        key_arn = str(answer_field(kms.describe_key(KeyId=key_id), "KeyMetadata", "DescribeKey")["Arn"])
    except AWS_ERRORS as exc:
        return None, None, describe_error("kms", "DescribeKey", exc, key_id)
    try:
        answer = kms.get_key_policy(KeyId=key_arn, PolicyName="default")
        policy = json.loads(answer_field(answer, "Policy", "GetKeyPolicy"))
    except READ_ERRORS as exc:
        return key_arn, None, describe_error("kms", "GetKeyPolicy", exc, key_arn)
    return key_arn, policy, None
