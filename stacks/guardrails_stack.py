"""The guardrails stack: the organization's service control policy, in the management account."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.config import DeploymentConfig, Guardrails
from deployment.plan import GUARDRAILS_POLICY_SIZE_MESSAGE, archive_names, trail_targets
from ebtrail.constructs.organization_guardrails import OrganizationGuardrails, OrganizationGuardrailsProps
from ebtrail.core.regions import organizations_region


def organizations_stack_region(partition: str, home_region: str) -> str:
    """Region of the AWS Organizations endpoint of the partition: "specify the us-east-1 Region for all AWS API
    and CLI calls made from the commercial AWS Regions outside of China", cn-northwest-1 in China (AWS
    Organizations API Reference, "Endpoint to call"), read from botocore's endpoint data
    (:func:`ebtrail.core.regions.organizations_region`). Where botocore lists no Organizations endpoint, the
    trail's home region: a wrong region fails the deploy loudly, it cannot deploy a policy that is not there."""
    return organizations_region(partition) or home_region


class GuardrailsStack(Stack):
    """The service control policy ``guardrails`` (``organization.guardrails``), deployed last (after archive and
    trail).

    In the Organizations endpoint's region, where AWS::Organizations resources are created; a stack of its own,
    so the trail may live in any home region. In the management account, or in ``guardrails.deployment_account``:
    ``AWS::Organizations::Policy`` "can be called only from the organization's management account or a member
    account designated as a delegated administrator" (CloudFormation User Guide), and a member account becomes
    one for policy management through the organization's resource-based delegation policy ("Delegated
    administrator for AWS Organizations", Organizations User Guide).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        guardrails: Guardrails,
        after: list[Stack],
        **kwargs: Any,
    ) -> None:
        # The organization trail is created in the management account; the policy there too unless a delegated
        # administrator for AWS Organizations is named.
        [trail] = trail_targets(config)
        account = guardrails.deployment_account or trail.account
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=account, region=organizations_stack_region(config.partition, trail.home_region)),
            description="ebtrail guardrails: a service control policy that protects the audit trail and its archive",
            **kwargs,
        )
        for stack in after:
            self.add_stack_dependency(stack, "the policy protects resources those stacks create")
        names = archive_names(config)
        self.guardrails = OrganizationGuardrails(
            self,
            "Guardrails",
            OrganizationGuardrailsProps(
                policy_name=f"{names.prefix}-protect-audit-trail",
                trail_arn=trail.arn,
                log_bucket_arn=names.log_bucket_arn,
                log_key_arns=f"arn:{names.partition}:kms:{names.region}:{names.account}:key/*",
                log_key_alias=names.log_key_alias,
                log_key_alias_arn=names.log_key_alias_arn,
                exempt_principal_arns=guardrails.exempt_roles,
                target_ids=guardrails.targets,
                policy_size_message=GUARDRAILS_POLICY_SIZE_MESSAGE,
            ),
        )
