"""The trail stack: one trail and every feature of it, in the trail's account and home region."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.plan import TrailPlan
from ebtrail.constructs.trail import BeanstalkTrail
from stacks.log_archive_stack import LogArchiveStack


class TrailStack(Stack):
    """A multi-region trail delivering to the archive, its SNS delivery topic, Beanstalk change alerts and the
    features of its plan (:class:`~ebtrail.constructs.trail.BeanstalkTrail` builds them all from its props).

    It refers to the archive by deterministic names (bucket name, key alias ARN), never by a
    CloudFormation export, so the archive may live in another account. The stack depends on the
    archive stack, so ``cdk deploy --all`` creates the bucket and key policies first.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, plan: TrailPlan, archive: LogArchiveStack, **kwargs: Any
    ) -> None:
        target = plan.target
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=plan.place.account, region=plan.place.region),
            description=(
                f"ebtrail {'organization ' if target.organization_id else ''}trail {target.name}: "
                "multi-region CloudTrail trail and delivery topic"
            ),
            **kwargs,
        )
        self.add_stack_dependency(archive, "CreateTrail checks the archive's bucket and key policies")
        # "Default": the construct adds nothing to the logical IDs (see LogArchiveStack), so the features it
        # builds keep the logical IDs they had when this stack built them itself.
        self.trail = BeanstalkTrail(self, "Default", plan.props)
        self.cloudwatch_logs = self.trail.cloudwatch_logs
        self.delivery_topic = self.trail.delivery_topic
        self.audit_trail = self.trail.audit_trail
        self.alerts = self.trail.alerts
        self.verifier_access = self.trail.verifier_access
        self.beanstalk_events = self.trail.beanstalk_events
        self.cis_alarms = self.trail.cis_alarms
        self.canary = self.trail.canary
