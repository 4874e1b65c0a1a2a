"""The trail stack: one trail and its delivery topic, in the trail's account and home region."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.config import DeploymentConfig
from deployment.plan import (
    archive_names,
    beanstalk_events_prefixes,
    log_prefix,
    organization_projected_accounts,
    trail_props,
)
from ebtrail.constructs.beanstalk_events import BeanstalkEvents, BeanstalkEventsProps
from ebtrail.constructs.cis_alarms import CisAlarms, CisAlarmsProps
from ebtrail.constructs.cloudwatch_logs_delivery import CloudWatchLogsDelivery, CloudWatchLogsDeliveryProps
from ebtrail.constructs.delivery_canary import DeliveryCanary, DeliveryCanaryProps
from ebtrail.constructs.trail import BeanstalkTrail
from ebtrail.core.cis_filters import CIS_FILTERS, beanstalk_filter
from ebtrail.core.names import TrailTarget, alarm_name, canary_role_name
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
                    retention_days=config.cloudwatch_logs.retention_days,
                ),
            )
        self.cloudwatch_logs = cloudwatch_logs
        props = trail_props(config, target)
        if cloudwatch_logs is not None:
            props = replace(
                props.with_depends_on(cloudwatch_logs.trail_prerequisites),
                cloudwatch_logs_group_arn=cloudwatch_logs.log_group.log_group_arn,
                cloudwatch_logs_role_arn=cloudwatch_logs.role.role_arn,
            )
        # "Default": the construct adds nothing to the logical IDs (see LogArchiveStack).
        self.trail = BeanstalkTrail(self, "Default", props)
        self.delivery_topic = self.trail.delivery_topic
        self.audit_trail = self.trail.audit_trail
        self.alerts = self.trail.alerts
        self.verifier_access = self.trail.verifier_access
        self.beanstalk_events: BeanstalkEvents | None = None
        if config.beanstalk_events.enabled:
            prefix, error_prefix = beanstalk_events_prefixes(config, target)
            # Under the trail construct ("Default", left out of logical IDs), so construct paths, and with them
            # the order of DependsOn lists, stay as they were.
            self.beanstalk_events = BeanstalkEvents(
                self.trail,
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
                    alarm_topic=self.alerts.topic if self.alerts else None,
                    alarm_name=alarm_name(target.name, "beanstalk-events-delivery"),
                ),
            )
            if self.alerts:
                self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)  # the stream's delivery alarm
        self.cis_alarms: CisAlarms | None = None
        if self.cloudwatch_logs and self.alerts:
            self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)
            self.cis_alarms = CisAlarms(
                self.trail,
                "CisAlarms",
                CisAlarmsProps(
                    log_group=self.cloudwatch_logs.log_group,
                    topic=self.alerts.topic,
                    filters=(*CIS_FILTERS, beanstalk_filter(config.alerts.actions)),
                    trail_name=target.name,
                    namespace=f"{names.prefix}/CloudTrailMetrics",
                ),
            )
        self.canary: DeliveryCanary | None = None
        if config.canary.enabled:
            assert self.alerts is not None, "config validation requires alerts with the canary"
            # The canary's alarms are named alarm_name(<trail>, ...), which the alert topic must let publish.
            self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)
            self.canary = DeliveryCanary(
                self,
                "DeliveryCanary",
                DeliveryCanaryProps(
                    trail_name=target.name,
                    trail_arn=target.arn,
                    organization_trail=target.organization_id is not None,
                    partition=target.partition,
                    account=target.account,
                    region=target.home_region,
                    log_bucket_name=names.log_bucket,
                    log_prefix=log_prefix(config),
                    log_key_account=names.account,
                    log_key_region=names.region,
                    log_key_alias=names.log_key_alias,
                    alarm_topic=self.alerts.topic,
                    role_name=canary_role_name(names.prefix),
                    rate_minutes=config.canary.rate_minutes,
                    max_delivery_minutes=config.canary.max_delivery_minutes,
                    projected_accounts=organization_projected_accounts(config),
                ),
            )
            # The canary's first run checks the trail: create it after the trail.
            self.canary.schedule.node.add_dependency(self.audit_trail)
