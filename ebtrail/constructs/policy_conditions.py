"""Condition keys shared by the bucket, key and topic policies, in one place so they cannot drift."""

from __future__ import annotations

CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
#: Encryption-context key CloudTrail sets on every data key it asks KMS for.
CLOUDTRAIL_CONTEXT_KEY = "kms:EncryptionContext:aws:cloudtrail:arn"


def source_arn_equals(arns: list[str]) -> dict[str, list[str]]:
    """``aws:SourceArn`` pinned to the trails that may act: AWS's confused-deputy protection."""
    return {"aws:SourceArn": sorted(arns)}
