"""EventBridge's side of the Beanstalk service events (the rule and its role) and the stream's delivery alarm.

Parts of :class:`~ebtrail.constructs.beanstalk_events.BeanstalkEvents`: plain classes adding their resources to
the events construct's own scope, so construct paths and logical IDs are those it always had (see
:mod:`ebtrail.constructs.beanstalk_events_delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_sns as sns
from constructs import Construct

from ebtrail.core.beanstalk import EVENTS_SOURCE

#: "Implement best practices with CloudWatch Alarms" (Firehose Developer Guide): alarm when
#: ``DeliveryToS3.DataFreshness`` exceeds the buffering limit, at most 15 minutes.
DATA_FRESHNESS_LIMIT_SECONDS = 900


@dataclass(frozen=True)
class BeanstalkEventsRuleProps:
    """Which events, and the stream they go to."""

    #: Name of the rule (the stream's name: one rule per stream).
    rule_name: str
    #: EventBridge ``detail-type`` values to match.
    detail_types: tuple[str, ...]
    #: The stream the rule puts the events into.
    stream: firehose.CfnDeliveryStream


class BeanstalkEventsRule:
    """An EventBridge rule (default event bus, this account and region) on ``source: aws.elasticbeanstalk`` and
    the configured ``detail-type`` values, with a role that may only put records into this stream.

    The role trusts ``events.amazonaws.com`` only for this rule (``aws:SourceArn``, ``aws:SourceAccount``), so no
    other rule can borrow it to write into the archive; the rule waits for the role's policy, so its first event
    is delivered. Adds ``EventsRole``, ``EventsPolicy`` and ``Rule`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: BeanstalkEventsRuleProps) -> None:
        stack = Stack.of(scope)
        self.rule_arn = stack.format_arn(service="events", resource="rule", resource_name=props.rule_name)
        self.role = iam.Role(
            scope,
            "EventsRole",
            description=f"EventBridge rule {props.rule_name} puts Elastic Beanstalk events into Firehose",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceArn": self.rule_arn, "aws:SourceAccount": stack.account}}
            ),
        )
        self.policy = iam.ManagedPolicy(
            scope,
            "EventsPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="PutBeanstalkEvents",
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[props.stream.attr_arn],
                )
            ],
        )
        self.rule = events.CfnRule(
            scope,
            "Rule",
            name=props.rule_name,
            description="Elastic Beanstalk service events (not API calls) to the archive through Firehose",
            event_pattern={"source": [EVENTS_SOURCE], "detail-type": list(props.detail_types)},
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(id="Firehose", arn=props.stream.attr_arn, role_arn=self.role.role_arn)
            ],
        )
        self.rule.node.add_dependency(self.policy)


@dataclass(frozen=True)
class DeliveryFreshnessAlarmProps:
    """Which stream, what the alarm is called, and where it notifies."""

    stream_name: str
    alarm_name: str
    #: The topic ALARM goes to (its policy must let this alarm's name publish).
    alarm_topic: sns.ITopic
    #: Seconds the oldest record may wait. Default: 900 (:data:`DATA_FRESHNESS_LIMIT_SECONDS`).
    threshold_seconds: int = DATA_FRESHNESS_LIMIT_SECONDS


class DeliveryFreshnessAlarm:
    """An alarm on the stream's ``DeliveryToS3.DataFreshness`` (maximum over 5 minutes) above 15 minutes.

    A bucket or key policy that refuses the delivery role fails no deploy and no API call; Firehose keeps retrying,
    records age, and this alarm is how anyone hears of it. Adds ``DeliveryAlarm`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: DeliveryFreshnessAlarmProps) -> None:
        self.alarm = cloudwatch.Alarm(
            scope,
            "DeliveryAlarm",
            alarm_name=props.alarm_name,
            alarm_description=f"Firehose {props.stream_name} has held Elastic Beanstalk events for over "
            f"{props.threshold_seconds // 60} minutes",
            metric=cloudwatch.Metric(
                namespace="AWS/Firehose",
                metric_name="DeliveryToS3.DataFreshness",
                dimensions_map={"DeliveryStreamName": props.stream_name},
                statistic="Maximum",
                period=Duration.minutes(5),
            ),
            threshold=props.threshold_seconds,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cloudwatch_actions.SnsAction(props.alarm_topic))
