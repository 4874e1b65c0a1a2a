"""The guardrails stack: the organization's service control policy, in the management account."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.plan import GuardrailsPlan
from ebtrail.constructs.organization_guardrails import OrganizationGuardrails


class GuardrailsStack(Stack):
    """The service control policy ``guardrails`` (``organization.guardrails``), deployed last (after archive and
    trail).

    In the Organizations endpoint's region, where AWS::Organizations resources are created
    (:func:`deployment.plan.organizations_stack_region`); a stack of its own, so the trail may live in any home
    region. In the management account, or in ``guardrails.deployment_account``: ``AWS::Organizations::Policy``
    "can be called only from the organization's management account or a member account designated as a delegated
    administrator" (CloudFormation User Guide), and a member account becomes one for policy management through the
    organization's resource-based delegation policy ("Delegated administrator for AWS Organizations",
    Organizations User Guide).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, plan: GuardrailsPlan, after: list[Stack], **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=plan.place.account, region=plan.place.region),
            description="ebtrail guardrails: a service control policy that protects the audit trail and its archive",
            **kwargs,
        )
        for stack in after:
            self.add_stack_dependency(stack, "the policy protects resources those stacks create")
        self.guardrails = OrganizationGuardrails(self, "Guardrails", plan.props)
