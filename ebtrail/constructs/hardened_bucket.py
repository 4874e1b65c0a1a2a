"""The security baseline every ebtrail bucket shares, in one place so a new bucket cannot miss part of it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct


def hardened_bucket(scope: Construct, construct_id: str, **props: Any) -> s3.Bucket:
    """An ``s3.Bucket`` with the baseline, plus ``props`` (name, encryption, lifecycle, ...).

    The baseline: a ``Deny`` of every request without TLS (``enforce_ssl``), all four public-access
    blocks, object ownership ``BucketOwnerEnforced`` (ACLs disabled), versioning, and
    ``DeletionPolicy``/``UpdateReplacePolicy: Retain`` (deleting or replacing the stack never deletes
    objects). ``props`` may not override any of it.
    """
    baseline: dict[str, Any] = {
        "enforce_ssl": True,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "versioned": True,
        "removal_policy": RemovalPolicy.RETAIN,
    }
    overridden = sorted(set(baseline) & set(props))
    if overridden:
        raise ValueError(f"hardened_bucket: {', '.join(overridden)} belong to the security baseline")
    return s3.Bucket(scope, construct_id, **baseline, **props)


def expiring_objects_rule(rule_id: str, days: int) -> s3.LifecycleRule:
    """Delete objects ``days`` after creation, replaced versions and unfinished uploads after a day."""
    return s3.LifecycleRule(
        id=rule_id,
        expiration=Duration.days(days),
        noncurrent_version_expiration=Duration.days(1),
        abort_incomplete_multipart_upload_after=Duration.days(1),
    )
