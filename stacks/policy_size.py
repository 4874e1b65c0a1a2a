"""Resource-policy size limits, checked at synth time so an oversized policy never reaches a deploy.

S3 refuses a bucket policy over 20 KB and KMS a key policy over 32 KB, but only when CloudFormation
applies them, halfway through a deploy. With per-account statements the bucket policy grows with every
member account; measuring it here turns that into a config error with the way out.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack

from ebtrail.config import Problem

S3_BUCKET_POLICY_LIMIT = 20 * 1024
KMS_KEY_POLICY_LIMIT = 32 * 1024


def policy_bytes(stack: Stack, document: Any, arns: dict[str, str]) -> int:
    """Size of ``document`` as compact JSON, with ``Fn::GetAtt ... Arn`` of the named logical IDs replaced
    by the real ARNs (``arns``) and ``Fn::Join`` joined, so the count is what S3 or KMS will see."""
    return len(json.dumps(_flatten(stack.resolve(document), arns), separators=(",", ":")).encode())


def _flatten(value: Any, arns: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_flatten(item, arns) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "Arn":
        return arns.get(value["Fn::GetAtt"][0], "arn:aws:unknown")
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_flatten(part, arns)) for part in parts)
    return {key: _flatten(item, arns) for key, item in value.items()}


def size_problems(name: str, size: int, limit: int, way_out: str) -> list[Problem]:
    if size <= limit:
        return []
    return [Problem(name, f"{size:,} bytes, over the {limit:,}-byte limit; {way_out}")]
