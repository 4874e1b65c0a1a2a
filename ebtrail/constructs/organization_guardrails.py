"""A service control policy that keeps everyone but the deployment roles from switching the audit trail off."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_organizations as organizations
from constructs import Construct

from ebtrail.constructs.policy_size import SCP_SIZE_LIMIT, PolicySize, PolicySizeValidation

#: What the guardrail denies on the trail (issue 13; "Actions, resources, and condition keys for AWS
#: CloudTrail", Service Authorization Reference).
TRAIL_ACTIONS: tuple[str, ...] = (
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
)
#: Deleting or re-policying the log bucket.
BUCKET_ACTIONS: tuple[str, ...] = ("s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy")
#: Deleting, disabling or re-policying the log key.
KEY_ACTIONS: tuple[str, ...] = ("kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")
#: Moving the alias off the key would take the key out of the KEY_ACTIONS statement's alias condition.
ALIAS_ACTIONS: tuple[str, ...] = ("kms:DeleteAlias", "kms:UpdateAlias")
#: The library's way out of an oversized SCP: the exempt patterns are what grows (each is in all four statements).
GUARDRAILS_POLICY_SIZE_MESSAGE = (
    "AWS Organizations would refuse it during the deploy; shorten OrganizationGuardrailsProps.exempt_principal_arns "
    "(fewer patterns, or one wildcard pattern such as arn:aws:iam::*:role/cdk-*-cfn-exec-role-* that covers several)"
)


def scp_characters(document: dict[str, Any]) -> int:
    """Characters of the SCP as counted against :data:`SCP_SIZE_LIMIT`.

    The quotas page: whitespace is removed before counting only when the policy is saved in the console; "if you
    save the policy using an SDK operation or the AWS CLI, then the policy is saved exactly as you provided". How
    CloudFormation turns a JSON-object ``Content`` into the string it sends is not documented, so this counts
    JSON with a space after every ``,`` and ``:`` (Python's default separators): more than the compact form, never
    less than what CloudFormation could send without indentation.
    """
    return len(json.dumps(document))


@dataclass(frozen=True)
class OrganizationGuardrailsProps:
    """What the guardrail protects, whom it spares, and where it is attached."""

    policy_name: str
    trail_arn: str
    log_bucket_arn: str
    #: ``arn:<partition>:kms:<region>:<account>:key/*`` of the archive account and region.
    log_key_arns: str
    log_key_alias: str
    log_key_alias_arn: str
    #: ``aws:PrincipalArn`` patterns (``ArnLike``) that the guardrail does not apply to.
    exempt_principal_arns: tuple[str, ...]
    #: Root (``r-...``) or OU (``ou-...``) IDs the policy is attached to.
    target_ids: tuple[str, ...]
    #: What the error says to shorten when the SCP is over the 5,120-character limit (synthesis fails then; the size
    #: and limit come first). Default: :data:`GUARDRAILS_POLICY_SIZE_MESSAGE`, in this class's props; an app names
    #: its own config field.
    policy_size_message: str = GUARDRAILS_POLICY_SIZE_MESSAGE


def guardrail_document(props: OrganizationGuardrailsProps) -> dict[str, Any]:
    """The SCP: four ``Deny`` statements, each lifted for the exempt principals only.

    ``ArnNotLike`` on ``aws:PrincipalArn``: for a role session that key is the role's ARN
    (``arn:aws:iam::<account>:role/<name>``), so the exemption names roles, not sessions ("AWS global
    condition context keys", IAM User Guide). The key statement names the key by its alias
    (``kms:ResourceAliases``), since the key ID is only known after the archive is deployed, in another
    account; the alias statement keeps that alias from being moved away first.
    """
    exempt = {"ArnNotLike": {"aws:PrincipalArn": sorted(props.exempt_principal_arns)}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProtectTheAuditTrail",
                "Effect": "Deny",
                "Action": list(TRAIL_ACTIONS),
                "Resource": props.trail_arn,
                "Condition": exempt,
            },
            {
                "Sid": "ProtectTheLogBucket",
                "Effect": "Deny",
                "Action": list(BUCKET_ACTIONS),
                "Resource": props.log_bucket_arn,
                "Condition": exempt,
            },
            {
                "Sid": "ProtectTheLogKey",
                "Effect": "Deny",
                "Action": list(KEY_ACTIONS),
                "Resource": props.log_key_arns,
                "Condition": {**exempt, "ForAnyValue:StringEquals": {"kms:ResourceAliases": [props.log_key_alias]}},
            },
            {
                "Sid": "ProtectTheLogKeyAlias",
                "Effect": "Deny",
                "Action": list(ALIAS_ACTIONS),
                "Resource": props.log_key_alias_arn,
                "Condition": exempt,
            },
        ],
    }


class OrganizationGuardrails(Construct):
    """``AWS::Organizations::Policy`` of type ``SERVICE_CONTROL_POLICY``, attached to ``target_ids``.

    Created in the management account or in a delegated administrator for AWS Organizations ("This operation can
    be called only from the organization's management account or a member account designated as a delegated
    administrator", AWS::Organizations::Policy, CloudFormation). The content is a JSON object, not a string, so
    CloudFormation can detect drift (same page). SCPs never restrict the management account itself ("Service
    control policies (SCPs)", Organizations User Guide): the organization trail lives there, so within the
    management account only IAM protects it; the SCP binds every member account, including a CloudTrail
    delegated administrator, which could otherwise update or delete the organization trail, and the archive
    account, where bucket and key live.
    """

    def __init__(self, scope: Construct, construct_id: str, props: OrganizationGuardrailsProps) -> None:
        super().__init__(scope, construct_id)
        if not props.exempt_principal_arns:
            raise ValueError("OrganizationGuardrailsProps.exempt_principal_arns must name the deployment role(s)")
        if not props.target_ids:
            raise ValueError("OrganizationGuardrailsProps.target_ids must name a root or OU")
        self.document = guardrail_document(props)
        self.policy = organizations.CfnPolicy(
            self,
            "Policy",
            name=props.policy_name,
            type="SERVICE_CONTROL_POLICY",
            description="ebtrail: only the deployment roles may stop, change or delete the audit trail and its archive",
            content=self.document,
            target_ids=list(props.target_ids),
        )
        self.node.add_validation(PolicySizeValidation(self._measured_policies, props.policy_size_message))

    def _measured_policies(self) -> list[PolicySize]:
        size = scp_characters(self.document)
        return [PolicySize("guardrails service control policy", size, SCP_SIZE_LIMIT, unit="character")]
