"""Exactly the IAM permissions ``ebtrail-verify verify`` needs: the single source of truth.

The CDK construct that builds the verifier's managed policy reads :data:`PERMISSIONS`; the verifier itself uses
:func:`action_for_api_call` to name the missing action when AWS answers ``AccessDenied``; docs/verifier.md's table is
generated from it (:func:`markdown_table`). A test checks that every API call the verifier makes is listed here.

Resource patterns use placeholders that the policy builder substitutes (:func:`render`):

``${Partition}``  ``aws``, ``aws-cn`` or ``aws-us-gov``
``${Account}``    the account the verifier runs in (where the Elastic Beanstalk call is made)
``${Bucket}``     the trail's log bucket
``${Prefix}``     the trail's S3 key prefix followed by ``/``, or the empty string when it has none
``${TopicArn}``   the trail's SNS delivery topic
``${KeyArn}``     the KMS key that encrypts the log files (only when the trail uses SSE-KMS)
``${Region}``     a region the verifier runs in (``*`` for any)

No permission is needed for ``sts:GetCallerIdentity`` (the verifier uses it to learn its account).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ebtrail.core.cloudtrail_layout import PREFIX_PLACEHOLDER, logs_objects_pattern

#: Name prefix of every application and queue the verifier creates (and the only ones it ever deletes).
RESOURCE_PREFIX = "ebtrail-verify-"


@dataclass(frozen=True)
class Condition:
    """One IAM condition: ``{operator: {key: values}}``."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class PermissionGroup:
    """Actions needed for one purpose, on the resources they must be allowed on."""

    sid: str
    purpose: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    #: botocore ``(service, OperationName)`` pairs that need these actions, mapped to the action they need.
    api_calls: tuple[tuple[str, str, str], ...]
    conditions: tuple[Condition, ...] = ()
    #: Whether the verifier still runs (with a channel reported unavailable) when the group is missing.
    optional: bool = False
    #: Only needed for some trails (for example only when the log files are encrypted with SSE-KMS).
    when: str = "always"
    #: What happens to a run without an optional group.
    if_missing: str = "its channel is reported unavailable"


PERMISSIONS: tuple[PermissionGroup, ...] = (
    PermissionGroup(
        sid="ReadTrail",
        purpose=(
            "Read the trail's configuration (bucket, prefix, topic, key, home region, organization or not), "
            "whether it is logging and its latest delivery/notification errors, and whether its event "
            "selectors record management write events; the verifier fails fast when any of these is wrong."
        ),
        actions=("cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
        # Any trail: the engineer names the trail at run time, and an organization trail belongs to the
        # management account, not the account the verifier runs in. All three calls are read-only.
        resources=("arn:${Partition}:cloudtrail:*:*:trail/*",),
        api_calls=(
            ("cloudtrail", "GetTrail", "cloudtrail:GetTrail"),
            ("cloudtrail", "GetTrailStatus", "cloudtrail:GetTrailStatus"),
            ("cloudtrail", "GetEventSelectors", "cloudtrail:GetEventSelectors"),
        ),
    ),
    PermissionGroup(
        sid="ProbeApplication",
        purpose=(
            "Make the Elastic Beanstalk write call whose record is looked for (CreateApplication, free, no "
            "EC2 or S3), check that an application carries the verifier's nonce before touching it, and "
            "delete it afterwards. Limited to applications named with the verifier's prefix."
        ),
        actions=(
            "elasticbeanstalk:CreateApplication",
            "elasticbeanstalk:DescribeApplications",
            "elasticbeanstalk:DeleteApplication",
        ),
        resources=(f"arn:${{Partition}}:elasticbeanstalk:*:${{Account}}:application/{RESOURCE_PREFIX}*",),
        api_calls=(
            ("elasticbeanstalk", "CreateApplication", "elasticbeanstalk:CreateApplication"),
            ("elasticbeanstalk", "DescribeApplications", "elasticbeanstalk:DescribeApplications"),
            ("elasticbeanstalk", "DeleteApplication", "elasticbeanstalk:DeleteApplication"),
        ),
    ),
    PermissionGroup(
        sid="ListLogPrefix",
        purpose=(
            "S3 channel: list the day's log folder(s) with StartAfter (and the AWSLogs/ folder of an "
            "organization trail to find its o-id). Limited to the trail's AWSLogs/ prefix."
        ),
        actions=("s3:ListBucket",),
        resources=("arn:${Partition}:s3:::${Bucket}",),
        conditions=(Condition("StringLike", "s3:prefix", (logs_objects_pattern(PREFIX_PLACEHOLDER),)),),
        api_calls=(("s3", "ListObjectsV2", "s3:ListBucket"),),
        optional=True,
    ),
    PermissionGroup(
        sid="ReadLogFiles",
        purpose="S3 and SNS channels: read the new log files (only the trail's AWSLogs/ prefix).",
        actions=("s3:GetObject",),
        resources=(f"arn:${{Partition}}:s3:::${{Bucket}}/{logs_objects_pattern(PREFIX_PLACEHOLDER)}",),
        api_calls=(("s3", "GetObject", "s3:GetObject"), ("s3", "HeadObject", "s3:GetObject")),
        optional=True,
    ),
    PermissionGroup(
        sid="DecryptLogFiles",
        purpose=(
            "S3 and SNS channels, SSE-KMS trails only: decrypt log files through S3 (never directly). The "
            "key policy must allow it too."
        ),
        actions=("kms:Decrypt",),
        resources=("${KeyArn}",),
        conditions=(
            # S3's regional endpoint name in the partition (``${DnsSuffix}``: amazonaws.com, amazonaws.com.cn,
            # ...; ebtrail.core.regions.regional_service_name): a literal .amazonaws.com denied it in aws-cn.
            Condition("StringLike", "kms:ViaService", ("s3.*.${DnsSuffix}",)),
            Condition("Null", "kms:EncryptionContext:aws:cloudtrail:arn", ("false",)),
        ),
        api_calls=(),
        optional=True,
        when="the trail encrypts its log files with a KMS key",
    ),
    PermissionGroup(
        sid="NotificationQueue",
        purpose=(
            "SNS channel: a temporary SSE-SQS encrypted queue that only the delivery topic may send to; "
            "read and delete its messages; delete it at the end. Limited to queues named with the prefix."
        ),
        actions=(
            "sqs:CreateQueue",
            "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:DeleteQueue",
        ),
        resources=(f"arn:${{Partition}}:sqs:*:${{Account}}:{RESOURCE_PREFIX}*",),
        api_calls=(
            ("sqs", "CreateQueue", "sqs:CreateQueue"),
            ("sqs", "GetQueueAttributes", "sqs:GetQueueAttributes"),
            ("sqs", "SetQueueAttributes", "sqs:SetQueueAttributes"),
            ("sqs", "ReceiveMessage", "sqs:ReceiveMessage"),
            ("sqs", "DeleteMessage", "sqs:DeleteMessage"),
            ("sqs", "DeleteMessageBatch", "sqs:DeleteMessage"),
            ("sqs", "DeleteQueue", "sqs:DeleteQueue"),
        ),
        optional=True,
        when="the trail has an SNS topic",
    ),
    PermissionGroup(
        sid="SubscribeDeliveryTopic",
        purpose="SNS channel: subscribe the temporary queue to the trail's topic, and unsubscribe at the end.",
        actions=("sns:Subscribe", "sns:Unsubscribe"),
        resources=("${TopicArn}",),
        api_calls=(("sns", "Subscribe", "sns:Subscribe"), ("sns", "Unsubscribe", "sns:Unsubscribe")),
        optional=True,
        when="the trail has an SNS topic",
    ),
    PermissionGroup(
        sid="EventHistory",
        purpose=(
            "Event history channel: LookupEvents (supports no resource-level permissions, hence *). Shows "
            "that CloudTrail saw the call even before a log file is delivered."
        ),
        actions=("cloudtrail:LookupEvents",),
        resources=("*",),
        api_calls=(("cloudtrail", "LookupEvents", "cloudtrail:LookupEvents"),),
        optional=True,
    ),
    PermissionGroup(
        sid="DigestPublicKeys",
        purpose=(
            "--integrity: CloudTrail's public keys (ListPublicKeys, in each digest's region) to check the signature "
            "of the digest that covers the log file. Supports no resource-level permissions, hence *. The digest "
            "and log files are read under ReadLogFiles and ListLogPrefix (they are under the same AWSLogs/ prefix)."
        ),
        actions=("cloudtrail:ListPublicKeys",),
        resources=("*",),
        api_calls=(("cloudtrail", "ListPublicKeys", "cloudtrail:ListPublicKeys"),),
        optional=True,
        when="the run checks integrity (--integrity)",
        if_missing="the integrity check ends unverifiable, exit 2",
    ),
)

#: API calls that need no IAM permission.
UNAUTHENTICATED_CALLS: frozenset[tuple[str, str]] = frozenset({("sts", "GetCallerIdentity")})

_SERVICE_PREFIX = {"elasticbeanstalk": "elasticbeanstalk", "cloudtrail": "cloudtrail", "s3": "s3", "sns": "sns"}


def action_for_api_call(service: str, operation: str) -> str:
    """The IAM action an API call needs, for example ``("s3", "ListObjectsV2")`` -> ``s3:ListBucket``."""
    for group in PERMISSIONS:
        for svc, op, action in group.api_calls:
            if svc == service and op == operation:
                return action
    return f"{_SERVICE_PREFIX.get(service, service)}:{operation}"


def is_listed(service: str, operation: str) -> bool:
    """Whether an API call is covered by :data:`PERMISSIONS` (or needs no permission)."""
    if (service, operation) in UNAUTHENTICATED_CALLS:
        return True
    return any(svc == service and op == operation for g in PERMISSIONS for svc, op, _ in g.api_calls)


def all_actions() -> tuple[str, ...]:
    return tuple(sorted({a for g in PERMISSIONS for a in g.actions}))


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def render(text: str, values: Mapping[str, str]) -> str:
    """Substitute ``${Name}`` placeholders; raises ``KeyError`` for a placeholder without a value."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def markdown_table() -> str:
    """The permission table of docs/verifier.md (written there by ``python -m tools.docs_gen``)."""
    lines = [
        "| Sid | Actions | Resources | Conditions | Needed | Why |",
        "|---|---|---|---|---|---|",
    ]
    for g in PERMISSIONS:
        conds = "<br>".join(f"`{c.operator}` `{c.key}` = `{', '.join(c.values)}`" for c in g.conditions) or "-"
        needed = f"optional ({g.if_missing})" if g.optional else "required"
        if g.when != "always":
            needed += f"; only when {g.when}"
        lines.append(
            f"| {g.sid} | {'<br>'.join(f'`{a}`' for a in g.actions)} | "
            f"{'<br>'.join(f'`{r}`' for r in g.resources)} | {conds} | {needed} | {g.purpose} |"
        )
    return "\n".join(lines)
