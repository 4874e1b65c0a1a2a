"""Resource-policy size limits, checked at synth time so an oversized policy never reaches a deploy.

S3 refuses a bucket policy over 20 KB and KMS a key policy over 32 KB, but only when CloudFormation
applies them, halfway through a deploy. With per-account statements the bucket policy grows with every
member account; measuring it at synth time turns that into an error with the way out, before any deploy.
:class:`~ebtrail.constructs.log_archive.LogArchive` checks its own policies with ``node.add_validation``; the
app (``stacks/app_builder.py``) reports the same sizes as config errors.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack

S3_BUCKET_POLICY_LIMIT = 20 * 1024
KMS_KEY_POLICY_LIMIT = 32 * 1024


def policy_bytes(stack: Stack, document: Any, arns: dict[str, str]) -> int:
    """Size of ``document`` as compact JSON, with ``Fn::GetAtt ... Arn`` of the named logical IDs replaced
    by the real ARNs (``arns``) and ``Fn::Join`` joined, so the count is what S3 or KMS will see."""
    return len(json.dumps(_flatten(stack.resolve(document), arns), separators=(",", ":")).encode())


def plain_document(stack: Stack, document: Any, refs: dict[str, str]) -> Any:
    """``document`` resolved to plain JSON for a human to apply, with ``{"Ref": name}`` replaced by ``refs``
    (``AWS::Partition``, ``AWS::AccountId``) and ``Fn::Join`` joined."""
    return _flatten(stack.resolve(document), {}, refs)


def _flatten(value: Any, arns: dict[str, str], refs: dict[str, str] | None = None) -> Any:
    if isinstance(value, list):
        return [_flatten(item, arns, refs) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "Arn":
        return arns.get(value["Fn::GetAtt"][0], "arn:aws:unknown")
    if refs is not None and set(value) == {"Ref"} and value["Ref"] in refs:
        return refs[value["Ref"]]
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_flatten(part, arns, refs)) for part in parts)
    return {key: _flatten(item, arns, refs) for key, item in value.items()}


def size_error(name: str, size: int, limit: int) -> str | None:
    """A message when ``size`` bytes are over ``limit``, None otherwise."""
    if size <= limit:
        return None
    return f"{name}: {size:,} bytes, over the {limit:,}-byte limit"
