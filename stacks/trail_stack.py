"""The trail stack: one trail and its delivery topic, in the trail's account and home region."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from ebtrail.config import DeploymentConfig
from ebtrail.constructs.trail import BeanstalkTrail
from ebtrail.core.names import TrailTarget
from ebtrail.deployment import trail_props
from stacks.log_archive_stack import LogArchiveStack


class TrailStack(Stack):
    """A multi-region trail delivering to the archive, its SNS delivery topic and Beanstalk change alerts.

    It refers to the archive by deterministic names (bucket name, key alias ARN), never by a
    CloudFormation export, so the archive may live in another account. The stack depends on the
    archive stack, so ``cdk deploy --all`` creates the bucket and key policies first.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        target: TrailTarget,
        archive: LogArchiveStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=target.account, region=target.home_region),
            description=(
                f"ebtrail {'organization ' if target.organization_id else ''}trail {target.name}: "
                "multi-region CloudTrail trail and delivery topic"
            ),
            **kwargs,
        )
        self.add_stack_dependency(archive, "CreateTrail checks the archive's bucket and key policies")
        # "Default": the construct adds nothing to the logical IDs (see LogArchiveStack).
        self.trail = BeanstalkTrail(self, "Default", trail_props(config, target))
        self.delivery_topic = self.trail.delivery_topic
        self.audit_trail = self.trail.audit_trail
        self.alerts = self.trail.alerts
        self.verifier_access = self.trail.verifier_access
