"""Least-privilege IAM for the verifier: exactly what ``ebtrail-verify verify`` needs, nothing more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.policy_conditions import partition_dns_suffix
from ebtrail.core.names import LogReading
from ebtrail.core.permissions import PERMISSIONS, RESOURCE_PREFIX, PermissionGroup, render


@dataclass(frozen=True)
class VerifierAccessProps:
    """What the verifier's policy needs to know about the trail it checks."""

    #: Name of the managed policy (and of the role, when one is created).
    name: str
    #: Partition and account the verifier runs in (the trail's).
    partition: str
    account: str
    log_bucket_name: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str
    #: The trail's SNS topic. None: the trail has none ebtrail knows (an adopted trail), no SNS channel.
    delivery_topic_arn: str | None
    #: Account and region of the log key, and its alias (``alias/...``).
    log_key_account: str
    log_key_region: str
    log_key_alias: str
    #: A principal ARN allowed to assume a role with this policy. Default: no role, only the policy.
    assumed_by: str | None = None
    #: An existing key named by its key ARN (an adopted trail's): the decrypt statement names it exactly, instead
    #: of ``key/*`` pinned to ``log_key_alias``. Default: the log key by its alias.
    log_key_arn: str | None = None
    #: False: the log files are SSE-S3 encrypted (an adopted trail without a key), no KMS statement at all.
    encrypted: bool = True

    @property
    def key_values(self) -> tuple[str, str | None]:
        """``${KeyArn}`` and the alias it is pinned to (None: the ARN is exact)."""
        return key_reference(
            self.partition, self.log_key_account, self.log_key_region, self.log_key_alias, self.log_key_arn
        )


#: The ``when`` of the permission groups of the SNS channel (left out for a trail without a known topic).
SNS_TOPIC_WHEN = "the trail has an SNS topic"


def key_reference(partition: str, account: str, region: str, alias: str, key_arn: str | None) -> tuple[str, str | None]:
    """``${KeyArn}`` and the alias a statement on it is pinned to: an existing key's ARN exactly, or ``key/*`` of
    the log key's account and region pinned to its alias (``kms:ResourceAliases``)."""
    return LogReading("", "", account, region, alias, key_arn).key_values(partition)


def key_groups(groups: Sequence[PermissionGroup], encrypted: bool) -> list[PermissionGroup]:
    """``groups`` without the statements on the log key when the log files are not encrypted with one."""
    return [group for group in groups if encrypted or "${KeyArn}" not in group.resources]


class VerifierAccess(Construct):
    """An IAM managed policy rendered from :data:`ebtrail.core.permissions.PERMISSIONS`, the verifier's single
    source of truth, and optionally a role for a named principal.

    Each statement keeps the Sid and scope of its permission group: Elastic Beanstalk applications and SQS
    queues only under the ``ebtrail-verify-`` prefix, S3 only under the trail's ``AWSLogs/`` prefix,
    ``kms:Decrypt`` only through S3 and only for CloudTrail-encrypted data on the key that has the log key's
    alias (``kms:ResourceAliases``: the key's ID is not known by name in this stack), SNS subscribe on the
    delivery topic only, and ``cloudtrail:LookupEvents`` on ``*`` because it supports no resource-level
    permissions.
    """

    def __init__(self, scope: Construct, construct_id: str, props: VerifierAccessProps) -> None:
        super().__init__(scope, construct_id)
        key_arn, key_alias = props.key_values
        values = {
            "Partition": props.partition,
            "DnsSuffix": partition_dns_suffix(props.partition),
            "Account": props.account,
            "Bucket": props.log_bucket_name,
            "Prefix": props.log_prefix,
            "TopicArn": props.delivery_topic_arn or "",
            "KeyArn": key_arn,
            "Region": "*",
        }
        groups = [
            group
            for group in key_groups(PERMISSIONS, props.encrypted)
            if props.delivery_topic_arn is not None or group.when != SNS_TOPIC_WHEN
        ]
        self.statements = render_statements(groups, values, key_alias)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            managed_policy_name=props.name,
            description="What the ebtrail verifier needs to prove Elastic Beanstalk calls reach the trail's logs",
            statements=self.statements,
        )
        self.role: iam.Role | None = None
        if props.assumed_by:
            self.role = iam.Role(
                self,
                "Role",
                role_name=props.name,
                assumed_by=trusted_principal(props.assumed_by),
                managed_policies=[self.policy],
                description="Assumed to run the ebtrail verifier",
            )
        # One acknowledgment per wildcard resource, with the reason of every statement that uses it.
        reasons: dict[str, list[str]] = {}
        for group, statement in zip(groups, self.statements, strict=True):
            for resource in statement.resources:
                if "*" in resource:
                    reasons.setdefault(resource, []).append(_WILDCARD_REASONS[group.sid])
        for resource, why in reasons.items():
            acknowledge(self.policy, f"AwsSolutions-IAM5[Resource::{resource}]", " ".join(why))


def render_statements(
    groups: Sequence[PermissionGroup], values: Mapping[str, str], log_key_alias: str | None
) -> list[iam.PolicyStatement]:
    """One statement per permission group, its placeholders filled in from ``values``.

    A statement on the log key (``${KeyArn}``, ``key/*`` in this stack because the key's ID is not known by name)
    is pinned to the key that has the log key's alias with ``kms:ResourceAliases``; with ``log_key_alias`` None
    the key ARN is exact (an existing key's) and needs no pin.
    """
    statements = []
    for group in groups:
        conditions: dict[str, dict[str, list[str]]] = {}
        for condition in group.conditions:
            conditions.setdefault(condition.operator, {})[condition.key] = [
                render(value, values) for value in condition.values
            ]
        if "${KeyArn}" in group.resources and log_key_alias is not None:
            conditions.setdefault("ForAnyValue:StringEquals", {})["kms:ResourceAliases"] = [log_key_alias]
        statements.append(
            iam.PolicyStatement(
                sid=group.sid,
                actions=list(group.actions),
                resources=[render(resource, values) for resource in group.resources],
                conditions=conditions or None,
            )
        )
    return statements


def trusted_principal(principal_arn: str) -> iam.IPrincipal:
    """Trust ``principal_arn``'s account root, pinned to exactly that principal with ``aws:PrincipalArn``.

    IAM refuses a trust policy whose ``Principal`` names a role or user that does not exist ("Invalid principal
    in policy", IAM User Guide, "AWS JSON policy elements: Principal"), and the stack would roll back when the
    principal is created later or misspelt. An account root is always accepted; the condition admits only the
    named principal, and it keeps matching if that principal is deleted and created again (a principal ARN in
    ``Principal`` would be stored as the old unique ID and silently stop matching).
    """
    parts = principal_arn.split(":")
    return iam.PrincipalWithConditions(
        iam.ArnPrincipal(f"arn:{parts[1]}:iam::{parts[4]}:root"),
        {"ArnEquals": {"aws:PrincipalArn": [principal_arn]}},
    )


#: Why each permission group's resource needs a wildcard (cdk-nag AwsSolutions-IAM5).
_WILDCARD_REASONS = {
    "ReadTrail": "Reads the configuration of whichever trail the engineer names; read-only CloudTrail calls.",
    "ProbeApplication": f"Each probe application gets a unique name under the verifier's {RESOURCE_PREFIX} prefix.",
    "ListLogPrefix": "Listing is limited by the s3:prefix condition to the trail's AWSLogs/ folder.",
    "ReadLogFiles": "Log file names are generated by CloudTrail under the trail's AWSLogs/ folder.",
    "DecryptLogFiles": "The log key's ID is unknown here; kms:ResourceAliases pins it to the log key's alias.",
    "NotificationQueue": f"Each temporary queue gets a unique name under the verifier's {RESOURCE_PREFIX} prefix.",
    "SubscribeDeliveryTopic": "Subscriptions are limited to the trail's delivery topic.",
    "EventHistory": "cloudtrail:LookupEvents supports no resource-level permissions.",
    "DigestPublicKeys": "cloudtrail:ListPublicKeys supports no resource-level permissions.",
}
