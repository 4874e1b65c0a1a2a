"""Resource-policy size limits, checked at synth time so an oversized policy never reaches a deploy.

S3 refuses a bucket policy over 20 KB, KMS a key policy over 32 KB and AWS Organizations a service control
policy over 5,120 characters, but only when CloudFormation applies them, halfway through a deploy. With
per-account statements the bucket policy grows with every member account; measuring it at synth time turns that
into an error with the way out, before any deploy.

One check: each construct whose policy can grow adds a :class:`PolicySizeValidation` with ``node.add_validation``
(:class:`~ebtrail.constructs.log_archive.LogArchive`,
:class:`~ebtrail.constructs.organization_guardrails.OrganizationGuardrails`). What the error tells the reader to
shorten is the construct's ``policy_size_message`` prop: a library default naming the construct's props, or an
app's wording naming its own config fields (``stacks/app_builder.py`` reports the same validation as a config
error before synthesis).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Stack
from constructs import IValidation

#: "Bucket policies are limited to 20 KB in size" (S3 User Guide, "Bucket policies and user policies",
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html).
S3_BUCKET_POLICY_LIMIT = 20 * 1024
#: "The policy size limit is 32 KiB (32768 bytes)" (AWS KMS API Reference, ``PutKeyPolicy``, ``Policy``;
#: https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
KMS_KEY_POLICY_LIMIT = 32 * 1024
#: Service control policies are at most 5,120 characters: the limit the ``AWS::Organizations::Policy`` reference
#: (CloudFormation User Guide, ``Content``) and the AWS Organizations quotas pages in the China Regions state. The
#: current English "Quotas and service limits for AWS Organizations" page
#: (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html) lists 10,240; the smaller
#: one is checked, so a policy that passes here deploys in every partition (a refusal here is loud and immediate,
#: an oversized policy would fail halfway through the deploy).
SCP_SIZE_LIMIT = 5120


@dataclass(frozen=True)
class PolicySize:
    """One measured policy: what it is, its size, its limit, and the unit both are counted in."""

    #: What the reader calls it: ``"log bucket policy"``.
    name: str
    size: int
    limit: int
    #: ``"byte"`` or ``"character"``. Default: ``"byte"``.
    unit: str = "byte"

    @property
    def error(self) -> str | None:
        """``"<name>: <size> <unit>s, over the <limit>-<unit> limit"``, or None when the policy fits."""
        if self.size <= self.limit:
            return None
        return f"{self.name}: {self.size:,} {self.unit}s, over the {self.limit:,}-{self.unit} limit"


@jsii.implements(IValidation)
class PolicySizeValidation:
    """Fails synthesis (``node.add_validation``) when a measured policy is over its limit.

    ``measure`` is called at validation time, after every statement has been added; each policy over its limit is
    one error, :attr:`PolicySize.error` followed by ``message`` (what to shorten and how).
    """

    def __init__(self, measure: Callable[[], Sequence[PolicySize]], message: str) -> None:
        self._measure = measure
        self._message = message

    def validate(self) -> list[str]:
        return [f"{size.error}; {self._message}" for size in self._measure() if size.error]


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
