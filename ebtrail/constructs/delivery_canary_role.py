"""The delivery canary's role: what one run may read, probe and publish, from the verifier's permission groups.

A part of :class:`~ebtrail.constructs.delivery_canary.DeliveryCanary`: a plain class adding its resources to the
canary's scope, so their construct paths and logical IDs are those the canary always had (see
:mod:`ebtrail.constructs.delivery_canary_logs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.policy_conditions import partition_dns_suffix
from ebtrail.constructs.verifier_access import key_groups, render_statements
from ebtrail.core import canary as facts
from ebtrail.core.permissions import RESOURCE_PREFIX


@dataclass(frozen=True)
class CanaryRoleProps:
    """Whose role, and the values its permission groups' placeholders are filled with."""

    #: Name of the role and of its managed policy (fixed, so the archive's bucket and key policies can name the role
    #: across accounts).
    role_name: str
    #: The trail the canary proves (the role's description).
    trail_name: str
    #: Partition, account and region the canary runs in.
    partition: str
    account: str
    region: str
    #: The trail's log bucket, and ``""`` or ``"<key prefix>/"`` in front of ``AWSLogs/``.
    log_bucket_name: str
    log_prefix: str
    #: ``${KeyArn}`` of the statements on the log key, and the alias they are pinned to (``kms:ResourceAliases``;
    #: None: the ARN is exact): :func:`~ebtrail.constructs.verifier_access.key_reference`.
    log_key_arn: str
    log_key_alias: str | None
    #: ARN of the function's log group (:class:`~ebtrail.constructs.delivery_canary_logs.CanaryLogGroup`).
    log_group_arn: str
    #: ARN of the dead-letter queue a failed run goes to.
    failed_runs_queue_arn: str
    #: False: the log files are SSE-S3 encrypted, so no statement on a key. Default: True.
    encrypted: bool = True
    #: True: ``organizations:ListAccounts`` too, to report accounts the Athena table does not project. Default: False.
    organization_projection: bool = False


class CanaryRole:
    """A role Lambda assumes and one customer managed policy holding every grant.

    The grants are rendered from :data:`ebtrail.core.canary.CANARY_PERMISSIONS` (the verifier's groups the canary
    uses, ``kms:DescribeKey`` on the log key, ``cloudwatch:PutMetricData`` with ``cloudwatch:namespace``), so the
    canary's permissions and the verifier's cannot drift apart; plus writing to its own log group and sending to its
    dead-letter queue. One managed policy rather than the inline default policy aws-cdk-lib would add, so the
    function can depend on exactly it. Each wildcard resource is acknowledged with its reason (cdk-nag
    AwsSolutions-IAM5). Adds ``Role`` and ``Policy`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: CanaryRoleProps) -> None:
        self.role = iam.Role(
            scope,
            "Role",
            role_name=props.role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the ebtrail delivery canary of trail {props.trail_name}",
        )
        self.statements = canary_statements(props)
        self.policy = iam.ManagedPolicy(
            scope,
            "Policy",
            managed_policy_name=props.role_name,
            # Not the trail's name: a managed policy's Description is create-only (the resource schema's
            # createOnlyProperties), so a description that changes with the trail name replaces this custom-named
            # policy, and "You can't perform an update that causes a custom-named resource to be replaced"
            # (CloudFormation, "CloudFormation resource custom naming"): a trail rename failed at this policy.
            description="What the ebtrail delivery canary of this account needs",
            statements=self.statements,
            roles=[self.role],
        )
        for resource, reason in wildcard_reasons(self.statements, props.log_group_arn).items():
            acknowledge(self.policy, f"AwsSolutions-IAM5[Resource::{resource}]", reason)


def canary_statements(props: CanaryRoleProps) -> list[iam.PolicyStatement]:
    """Every statement of the canary's managed policy, in the order the template has them."""
    values = {
        "Partition": props.partition,
        "DnsSuffix": partition_dns_suffix(props.partition),
        "Account": props.account,
        "Bucket": props.log_bucket_name,
        "Prefix": props.log_prefix,
        "KeyArn": props.log_key_arn,
        "Region": props.region,
    }
    groups = facts.canary_permissions(organization_projection=props.organization_projection)
    statements = render_statements(key_groups(groups, props.encrypted), values, props.log_key_alias)
    return [
        *statements,
        iam.PolicyStatement(
            sid="WriteOwnLogGroup",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{props.log_group_arn}:*"],
        ),
        iam.PolicyStatement(
            sid="SendFailedRuns",
            actions=["sqs:SendMessage"],
            resources=[props.failed_runs_queue_arn],
        ),
    ]


def wildcard_reasons(statements: list[iam.PolicyStatement], log_group_arn: str) -> dict[str, str]:
    """Why each wildcard resource of the canary's policy is needed (cdk-nag AwsSolutions-IAM5)."""
    reasons = {
        "ReadTrail": "Read-only CloudTrail calls on the trail; the organization trail belongs to the management "
        "account, and the resource is checked by name.",
        "ProbeApplication": f"Each probe application gets a unique name under the {RESOURCE_PREFIX} prefix.",
        "ListLogPrefix": "Listing is limited by the s3:prefix condition to the trail's AWSLogs/ folder.",
        "ReadLogFiles": "Log file names are generated by CloudTrail under the trail's AWSLogs/ folder.",
        "DecryptLogFiles": "The log key's ID is unknown here; kms:ResourceAliases pins it to the log key's alias.",
        "DescribeLogKey": "The log key's ID is unknown here; kms:ResourceAliases pins it to the log key's alias.",
        "DigestPublicKeys": "cloudtrail:ListPublicKeys supports no resource-level permissions (Service Authorization "
        "Reference, 'Actions, resources, and condition keys for AWS CloudTrail'): the public keys are public.",
        "PublishCanaryMetrics": "cloudwatch:PutMetricData supports no resource-level permissions; the "
        "cloudwatch:namespace condition keeps it to the canary's namespace.",
        "ListOrganizationAccounts": "organizations:ListAccounts supports no resource-level permissions (Service "
        "Authorization Reference, 'Actions, resources, and condition keys for AWS Organizations'); read-only.",
        "WriteOwnLogGroup": f"Log streams of the function's own log group {log_group_arn}.",
    }
    out: dict[str, list[str]] = {}
    for statement in statements:
        for resource in statement.resources:
            if "*" in resource:
                out.setdefault(resource, []).append(reasons[str(statement.sid)])
    return {resource: " ".join(why) for resource, why in out.items()}
