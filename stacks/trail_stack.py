"""The trail stack: one trail and its delivery topic, in the trail's account and home region."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from ebtrail.config import DeploymentConfig
from ebtrail.constructs.audit_trail import AuditTrail, AuditTrailProps, storage_bucket_arn_prefixes
from ebtrail.constructs.beanstalk_alerts import BeanstalkAlerts, BeanstalkAlertsProps
from ebtrail.constructs.beanstalk_events import BeanstalkEvents, BeanstalkEventsProps
from ebtrail.constructs.cis_alarms import CisAlarms, CisAlarmsProps
from ebtrail.constructs.cloudwatch_logs_delivery import CloudWatchLogsDelivery, CloudWatchLogsDeliveryProps
from ebtrail.constructs.delivery_topic import DeliveryTopic, DeliveryTopicProps
from ebtrail.constructs.verifier_access import VerifierAccess, VerifierAccessProps
from ebtrail.core.cis_filters import CIS_FILTERS, beanstalk_filter
from ebtrail.core.names import TrailTarget
from ebtrail.deployment import archive_names, beanstalk_events_prefixes, log_prefix
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
        cloudwatch_logs: CloudWatchLogsDelivery | None = None
        if config.cloudwatch_logs.enabled:
            cloudwatch_logs = CloudWatchLogsDelivery(
                self,
                "CloudWatchLogs",
                CloudWatchLogsDeliveryProps(
                    log_group_name=target.cloudwatch_log_group_name,
                    key_alias=f"alias/{names.prefix}/cloudtrail-cloudwatch-logs",
                    trail_arn=target.arn,
                    trail_account=target.account,
                    retention_days=config.cloudwatch_logs.retention_days,
                ),
            )
        self.cloudwatch_logs = cloudwatch_logs
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
                depends_on=(
                    *self.delivery_topic.trail_prerequisites,
                    *(cloudwatch_logs.trail_prerequisites if cloudwatch_logs else ()),
                ),
                cloudwatch_logs_group_arn=cloudwatch_logs.log_group.log_group_arn if cloudwatch_logs else None,
                cloudwatch_logs_role_arn=cloudwatch_logs.role.role_arn if cloudwatch_logs else None,
                data_event_arn_prefixes=tuple(
                    storage_bucket_arn_prefixes(target.partition, None if target.organization_id else target.account)
                )
                if config.trail.beanstalk_data_events != "off"
                else (),
                data_events_read_write="All" if config.trail.beanstalk_data_events == "All" else "WriteOnly",
                log_bucket_arn=names.log_bucket_arn,
                insights=config.trail.insights,
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
        self.beanstalk_events: BeanstalkEvents | None = None
        if config.beanstalk_events.enabled:
            prefix, error_prefix = beanstalk_events_prefixes(config, target)
            self.beanstalk_events = BeanstalkEvents(
                self,
                "BeanstalkEvents",
                BeanstalkEventsProps(
                    stream_name=target.beanstalk_events_stream_name,
                    role_name=target.beanstalk_events_role_arn(names.prefix).rsplit("/", 1)[1],
                    detail_types=config.beanstalk_events.detail_types,
                    bucket_name=names.log_bucket,
                    key_alias_arn=names.log_key_alias_arn,
                    key_alias=names.log_key_alias,
                    key_arns=f"arn:{names.partition}:kms:{names.region}:{names.account}:key/*",
                    prefix=prefix,
                    error_prefix=error_prefix,
                    bucket_region=names.region,
                    buffer_seconds=config.beanstalk_events.buffer_seconds,
                ),
            )
        self.cis_alarms: CisAlarms | None = None
        if self.cloudwatch_logs and self.alerts:
            alarm_prefix = f"{target.name}-"
            self.alerts.allow_cloudwatch_alarms(alarm_prefix)
            self.cis_alarms = CisAlarms(
                self,
                "CisAlarms",
                CisAlarmsProps(
                    log_group=self.cloudwatch_logs.log_group,
                    topic=self.alerts.topic,
                    filters=(*CIS_FILTERS, beanstalk_filter(config.alerts.actions)),
                    alarm_name_prefix=alarm_prefix,
                    namespace=f"{names.prefix}/CloudTrailMetrics",
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
