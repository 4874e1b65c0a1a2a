"""``make e2e`` for the adopted topology: what AWS Control Tower (or a hand-made stack) would have created before
ebtrail is deployed on top, and the proof that ebtrail changed none of it.

:func:`prepare` creates, on the run's moto_server and before ``cdk deploy``: the organization (for an organization
trail), the KMS key (when the config names one), the bucket with a Control Tower-like bucket policy (TLS only,
CloudTrail's ACL check and writes pinned to the trail with ``aws:SourceArn``), the CloudWatch Logs log group and
the trail itself, logging. moto makes up its own organization and key IDs, so the run deploys a copy of the
config with those in place of the example's. The owner statements ``make synth`` prints are then added to the
bucket policy (and key policy) as the owner would: :func:`apply_owner_statements`.

:func:`check_unchanged` compares, after the deploy, the preflight and the verifier: the trail's settings and
event selectors, the log group and the key are as they were; the bucket policy is the owner's plus exactly the
printed statements.

Kept apart from ``run_e2e.py`` (a few hooks there) so either can change without the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from deployment.config import DeploymentConfig, load_config
from ebtrail.core.names import ExistingTrail, TrailTarget, data_events_trail_name


class AccountClients(Protocol):
    def client(self, service: str, account: str, region: str) -> Any: ...


@dataclass
class AdoptedWorld:
    """What existed before ebtrail, as it was."""

    existing: ExistingTrail
    trail: dict[str, Any]
    selectors: dict[str, Any]
    bucket_policy: dict[str, Any]
    key_policy: dict[str, Any] | None = None
    log_group: dict[str, Any] | None = None
    owner_statements: dict[str, list[Any]] = field(default_factory=dict)


def owner_bucket_policy(existing: ExistingTrail) -> dict[str, Any]:
    """A Control Tower-like bucket policy: TLS only, CloudTrail's ACL check and writes, for this trail only."""
    target = existing.target
    arn = existing.bucket_arn
    folders = [f"{arn}/{existing.log_prefix}AWSLogs/{target.account}/*"]
    if target.organization_id:
        folders.append(f"{arn}/{existing.log_prefix}AWSLogs/{target.organization_id}/*")
    condition = {"StringEquals": {"aws:SourceArn": target.arn}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSSLRequestsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AWSBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": condition,
            },
            {
                "Sid": "AWSBucketDeliveryForTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": folders,
                "Condition": {
                    "StringEquals": {"aws:SourceArn": target.arn, "s3:x-amz-acl": "bucket-owner-full-control"}
                },
            },
        ],
    }


def owner_key_policy(existing: ExistingTrail) -> dict[str, Any]:
    """The landing zone's key: the key's account administers it; CloudTrail encrypts for this trail."""
    target = existing.target
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIAMUserPermissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{target.partition}:iam::{existing.bucket_account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            # "Configure AWS KMS key policies for CloudTrail" (CloudTrail User Guide): encrypt only with the trail
            # account's encryption context, for this trail.
            {
                "Sid": "AllowCloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{target.partition}:cloudtrail:*:{target.account}:trail/*"
                        )
                    },
                    "StringEquals": {"aws:SourceArn": target.arn},
                },
            },
            {
                "Sid": "AllowCloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": target.arn}},
            },
        ],
    }


def prepare(
    accounts: AccountClients, config_path: Path, config: DeploymentConfig, scratch: Path
) -> tuple[Path, AdoptedWorld | None]:
    """Create the adopted trail's world on moto; the config to deploy (moto's IDs in place of the example's)."""
    existing = config.existing_trail
    if existing is None:
        return config_path, None
    target = existing.target
    text = config_path.read_text()
    if target.organization_id:
        organizations = accounts.client("organizations", target.account, target.home_region)
        organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
        text = text.replace(target.organization_id, organization["Id"])
    if existing.kms_key_arn:
        kms = accounts.client("kms", existing.bucket_account, existing.bucket_region)
        key = kms.create_key(Description="the landing zone's log key")["KeyMetadata"]
        text = text.replace(existing.kms_key_arn, key["Arn"])
    copy = scratch / config_path.name
    copy.write_text(text)
    existing = load_config(copy).existing_trail
    assert existing is not None
    target = existing.target

    s3 = accounts.client("s3", existing.bucket_account, existing.bucket_region)
    create: dict[str, Any] = {"Bucket": existing.bucket}
    if existing.bucket_region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": existing.bucket_region}
    s3.create_bucket(**create)
    s3.put_bucket_policy(Bucket=existing.bucket, Policy=json.dumps(owner_bucket_policy(existing)))
    key_policy = None
    if existing.kms_key_arn:
        kms = accounts.client("kms", existing.bucket_account, existing.bucket_region)
        key_policy = owner_key_policy(existing)
        kms.put_key_policy(KeyId=existing.kms_key_arn, PolicyName="default", Policy=json.dumps(key_policy))
    log_group = None
    trail_args: dict[str, Any] = {
        "Name": target.name,
        "S3BucketName": existing.bucket,
        "IsMultiRegionTrail": True,
        "IncludeGlobalServiceEvents": True,
        "EnableLogFileValidation": True,
        "IsOrganizationTrail": target.organization_id is not None,
    }
    if existing.log_prefix:
        trail_args["S3KeyPrefix"] = existing.log_prefix.rstrip("/")
    if existing.kms_key_arn:
        trail_args["KmsKeyId"] = existing.kms_key_arn
    if existing.log_group_name:
        logs = accounts.client("logs", target.account, target.home_region)
        logs.create_log_group(logGroupName=existing.log_group_name)
        logs.put_retention_policy(logGroupName=existing.log_group_name, retentionInDays=14)
        (log_group,) = logs.describe_log_groups(logGroupNamePrefix=existing.log_group_name)["logGroups"]
        trail_args["CloudWatchLogsLogGroupArn"] = log_group["arn"]
        trail_args["CloudWatchLogsRoleArn"] = (
            f"arn:{target.partition}:iam::{target.account}:role/aws-controltower-CloudWatchLogsRole"
        )
    cloudtrail = accounts.client("cloudtrail", target.account, target.home_region)
    cloudtrail.create_trail(**trail_args)
    cloudtrail.start_logging(Name=target.arn)
    world = AdoptedWorld(
        existing=existing,
        trail=_trail(accounts, existing),
        selectors=_selectors(accounts, existing),
        bucket_policy=owner_bucket_policy(existing),
        key_policy=key_policy,
        log_group=_log_group(accounts, existing),
    )
    return copy, world


def apply_owner_statements(accounts: AccountClients, world: AdoptedWorld | None, assembly: Path) -> None:
    """Add the statements ``cdk synth`` printed (the proof stack's info message in the assembly) to the owner's
    bucket and key policies, as the owner does after reading ``make synth``."""
    if world is None:
        return
    statements = owner_statements_from_assembly(assembly)
    world.owner_statements = statements
    existing = world.existing
    s3 = accounts.client("s3", existing.bucket_account, existing.bucket_region)
    policy = {**world.bucket_policy, "Statement": world.bucket_policy["Statement"] + statements["bucket"]}
    s3.put_bucket_policy(Bucket=existing.bucket, Policy=json.dumps(policy))
    if world.key_policy is not None and existing.kms_key_arn:
        kms = accounts.client("kms", existing.bucket_account, existing.bucket_region)
        key_policy = {**world.key_policy, "Statement": world.key_policy["Statement"] + statements["key"]}
        kms.put_key_policy(KeyId=existing.kms_key_arn, PolicyName="default", Policy=json.dumps(key_policy))


def owner_statements_from_assembly(assembly: Path) -> dict[str, list[Any]]:
    """The owner statements from the info message the proof layer leaves in the cloud assembly (the artifacts'
    metadata: in ``manifest.json`` or, with current aws-cdk-lib, in ``<artifact>.metadata.json``)."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    marker = "must add these statements for the proof layer"
    documents: list[dict[str, Any]] = [a.get("metadata") or {} for a in manifest.get("artifacts", {}).values()]
    documents += [json.loads(path.read_text()) for path in sorted(assembly.glob("*.metadata.json"))]
    for document in documents:
        for entries in document.values():
            for entry in entries if isinstance(entries, list) else []:
                data = entry.get("data")
                if entry.get("type") == "aws:cdk:info" and isinstance(data, str) and marker in data:
                    found = json.loads(data[data.index("{") :])
                    return {"bucket": found["bucket_policy_statements"], "key": found["key_policy_statements"]}
    raise AssertionError(f"no owner statements in {assembly / 'manifest.json'}")


def preflight_arguments(world: AdoptedWorld | None) -> list[str]:
    """``--readers <prefix>`` for an adopted trail whose bucket is in another account than the trail's."""
    if world is None or world.existing.bucket_account == world.existing.target.account:
        return []
    return ["--readers", "ebtrail"]


def extra_trails(config: DeploymentConfig) -> list[TrailTarget]:
    """The trail ebtrail adds next to an adopted one (``trail.beanstalk_data_events``), for ``preflight --trail``:
    CloudTrail's writes to the owner's bucket, with the owner statements applied."""
    existing = config.existing_trail
    if existing is None or config.trail.beanstalk_data_events == "off":
        return []
    return [replace(existing.target, name=data_events_trail_name(config.name_prefix))]


def check_unchanged(accounts: AccountClients, world: AdoptedWorld | None) -> None:
    """Nothing that existed before ebtrail changed, but the owner statements the owner added."""
    if world is None:
        return
    existing = world.existing
    problems = []
    if _trail(accounts, existing) != world.trail:
        problems.append(f"trail {existing.target.arn}: {world.trail} became {_trail(accounts, existing)}")
    if _selectors(accounts, existing) != world.selectors:
        problems.append(f"event selectors of {existing.target.arn} changed")
    if _log_group(accounts, existing) != world.log_group:
        problems.append(f"log group {existing.log_group_name} changed")
    s3 = accounts.client("s3", existing.bucket_account, existing.bucket_region)
    policy = json.loads(s3.get_bucket_policy(Bucket=existing.bucket)["Policy"])
    expected = world.bucket_policy["Statement"] + world.owner_statements.get("bucket", [])
    if policy["Statement"] != expected:
        problems.append(f"bucket policy of {existing.bucket} is not the owner's plus the printed statements")
    if problems:
        raise AssertionError("; ".join(problems))


def _trail(accounts: AccountClients, existing: ExistingTrail) -> dict[str, Any]:
    cloudtrail = accounts.client("cloudtrail", existing.target.account, existing.target.home_region)
    trail: dict[str, Any] = cloudtrail.get_trail(Name=existing.target.arn)["Trail"]
    status = cloudtrail.get_trail_status(Name=existing.target.arn)
    return {**trail, "IsLogging": status.get("IsLogging")}


def _selectors(accounts: AccountClients, existing: ExistingTrail) -> dict[str, Any]:
    cloudtrail = accounts.client("cloudtrail", existing.target.account, existing.target.home_region)
    answer = cloudtrail.get_event_selectors(TrailName=existing.target.arn)
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def _log_group(accounts: AccountClients, existing: ExistingTrail) -> dict[str, Any] | None:
    if not existing.log_group_name:
        return None
    logs = accounts.client("logs", existing.target.account, existing.target.home_region)
    groups = logs.describe_log_groups(logGroupNamePrefix=existing.log_group_name)["logGroups"]
    return {k: v for k, v in groups[0].items() if k not in ("storedBytes", "metricFilterCount")} if groups else None
