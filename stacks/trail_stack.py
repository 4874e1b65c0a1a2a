"""The trail stack: one trail and its delivery topic, in the trail's account and home region."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from ebtrail.config import DeploymentConfig
from ebtrail.constructs.audit_trail import AuditTrail, AuditTrailProps
from ebtrail.constructs.beanstalk_alerts import BeanstalkAlerts, BeanstalkAlertsProps
from ebtrail.constructs.delivery_topic import DeliveryTopic, DeliveryTopicProps
from ebtrail.constructs.verifier_access import VerifierAccess, VerifierAccessProps
from ebtrail.core.names import TrailTarget
from ebtrail.deployment import archive_names, log_prefix
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
        names = archive_names(config)
        self.delivery_topic = DeliveryTopic(
            self,
            "DeliveryTopic",
            DeliveryTopicProps(
                topic_name=target.delivery_topic_name,
                trail=target,
                emails=list(config.trail.notification_emails),
            ),
        )
        self.audit_trail = AuditTrail(
            self,
            "AuditTrail",
            AuditTrailProps(
                trail_name=target.name,
                bucket_name=names.log_bucket,
                kms_key_id=names.log_key_alias_arn,
                sns_topic_name=target.delivery_topic_name,
                log_prefix=log_prefix(config),
                management_events=config.trail.management_events,
                is_organization_trail=target.organization_id is not None,
                organization_id=target.organization_id,
                depends_on=self.delivery_topic.trail_prerequisites,
            ),
        )
        self.alerts: BeanstalkAlerts | None = None
        if config.alerts.enabled:
            self.alerts = BeanstalkAlerts(
                self,
                "BeanstalkAlerts",
                BeanstalkAlertsProps(
                    topic_name=target.alert_topic_name,
                    rule_name=target.alert_rule_name,
                    actions=list(config.alerts.actions),
                    emails=list(config.alerts.emails),
                ),
            )
        self.verifier_access: VerifierAccess | None = None
        if config.verifier.enabled:
            self.verifier_access = VerifierAccess(
                self,
                "VerifierAccess",
                VerifierAccessProps(
                    name=names.verifier_policy,
                    partition=target.partition,
                    account=target.account,
                    log_bucket_name=names.log_bucket,
                    log_prefix=log_prefix(config),
                    delivery_topic_arn=target.delivery_topic_arn,
                    log_key_account=names.account,
                    log_key_region=names.region,
                    log_key_alias=names.log_key_alias,
                    assumed_by=config.verifier.assumed_by,
                ),
            )
