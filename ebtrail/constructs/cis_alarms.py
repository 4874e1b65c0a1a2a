"""Metric filters on the trail's log group and an alarm on each, to the alert topic (CIS monitoring controls)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ebtrail.core.cis_filters import MonitoringFilter
from ebtrail.core.names import alarm_name


@dataclass(frozen=True)
class CisAlarmsProps:
    """What the alarms need to know."""

    log_group: logs.ILogGroup
    topic: sns.ITopic
    filters: tuple[MonitoringFilter, ...]
    #: The trail whose events the log group holds: alarm names are :func:`~ebtrail.core.names.alarm_name`
    #: ``(trail_name, slug)``, which the alert topic's policy allows by their prefix.
    trail_name: str
    #: CloudWatch namespace of the metrics.
    namespace: str


class CisAlarms(Construct):
    """One metric filter and one alarm per :class:`~ebtrail.core.cis_filters.MonitoringFilter`.

    As the Security Hub remediation of CloudWatch.1 to .14 describes ("Security Hub controls for Amazon
    CloudWatch", https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html): the
    metric value is 1 per matching event, the alarm fires when the sum over 5 minutes is at least 1, and its
    action is the SNS alert topic (which has e-mail subscribers when ``alerts.emails`` is set: Security Hub
    wants a subscriber). Periods without events are not breaching (no data is not an incident).
    """

    def __init__(self, scope: Construct, construct_id: str, props: CisAlarmsProps) -> None:
        super().__init__(scope, construct_id)
        self.filters: dict[str, logs.MetricFilter] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for monitored in props.filters:
            metric_filter = logs.MetricFilter(
                self,
                f"Filter-{monitored.slug}",
                log_group=props.log_group,
                filter_name=monitored.slug,
                filter_pattern=logs.FilterPattern.literal(monitored.pattern),
                metric_namespace=props.namespace,
                metric_name=monitored.slug,
                metric_value="1",
            )
            alarm = cloudwatch.Alarm(
                self,
                f"Alarm-{monitored.slug}",
                alarm_name=alarm_name(props.trail_name, monitored.slug),
                alarm_description=f"{monitored.control}: {monitored.title}",
                metric=metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            # SnsAction only names the topic; the topic and key policies are the alert topic's own.
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(props.topic))
            self.filters[monitored.slug] = metric_filter
            self.alarms[monitored.slug] = alarm
