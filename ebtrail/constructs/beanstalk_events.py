"""Elastic Beanstalk service events (status, health, managed updates) into the archive through Firehose."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from ebtrail.constructs.beanstalk_events_delivery import (
    EventsDeliveryStream,
    EventsDeliveryStreamProps,
    FirehoseDeliveryRole,
    FirehoseDeliveryRoleProps,
)
from ebtrail.constructs.beanstalk_events_rule import (
    BeanstalkEventsRule,
    BeanstalkEventsRuleProps,
    DeliveryFreshnessAlarm,
    DeliveryFreshnessAlarmProps,
)
from ebtrail.constructs.policy_conditions import stack_partition


@dataclass(frozen=True)
class BeanstalkEventsProps:
    """What the delivery needs to know. The archive is named, never referenced: it may be in another account."""

    #: Firehose stream name; also the EventBridge rule's name.
    stream_name: str
    #: Name of Firehose's delivery role (the archive's bucket and key policies name it by ARN).
    role_name: str
    #: EventBridge ``detail-type`` values to deliver.
    detail_types: tuple[str, ...]
    bucket_name: str
    #: Alias ARN of the log key (SSE-KMS of the delivered objects).
    key_alias_arn: str
    #: Alias name, for the ``kms:ResourceAliases`` condition of the role's KMS grant.
    key_alias: str
    #: ``arn:<partition>:kms:<region>:<account>:key/*`` of the archive.
    key_arns: str
    #: Object key prefix of this account's events, ending in ``/``: ``<prefix>beanstalk-events/<acct>/<region>/``.
    prefix: str
    #: Object key prefix of records Firehose could not process, ending in ``/``.
    error_prefix: str
    #: Region of the log bucket (for ``kms:ViaService``).
    bucket_region: str
    #: Seconds Firehose buffers events before it writes an object (``BufferingHints.IntervalInSeconds``). Default:
    #: 300.
    buffer_seconds: int = 300
    #: Topic for the delivery alarm (the alert topic, whose policy must let :attr:`alarm_name` publish).
    #: Default: no alarm.
    alarm_topic: sns.ITopic | None = None
    #: Name of the delivery alarm. Default ``<stream_name>-delivery``; the trail stack names it with
    #: :func:`ebtrail.core.names.alarm_name`, like every alarm the alert topic allows.
    alarm_name: str | None = None


class BeanstalkEvents(Construct):
    """An EventBridge rule on Elastic Beanstalk's service events, delivered by Firehose to the log bucket.

    Composed of parts, each documented on its own: :class:`FirehoseDeliveryRole`, :class:`EventsDeliveryStream`,
    :class:`BeanstalkEventsRule` and :class:`DeliveryFreshnessAlarm`. The parts are plain classes that add their
    resources to this construct, not constructs of their own, so every construct path, and so every logical ID, is
    the one this construct always had (a construct in between would rename them, and CloudFormation would replace
    the stream and the custom-named role).

    * The rule (default event bus, this account and region) matches ``source: aws.elasticbeanstalk`` and the
      configured ``detail-type`` values, the four events Elastic Beanstalk sends directly to EventBridge
      ("Elastic Beanstalk resource status change", "Other resource status change", "Health status change",
      "Managed update status change": "Using Elastic Beanstalk with Amazon EventBridge", Elastic Beanstalk
      Developer Guide, and "AWS Elastic Beanstalk events", EventBridge Events Reference). API calls are not
      among them: the trail records those.
    * EventBridge puts records with a role only ``events.amazonaws.com`` may assume, and only for this rule
      (``aws:SourceArn``, ``aws:SourceAccount``); it may call ``firehose:PutRecord``/``PutRecordBatch`` on this
      stream only.
    * Firehose (DirectPut, server-side encrypted with an AWS owned key) appends a newline to each record
      (``AppendDelimiterToRecord``, "Processor", Firehose API Reference), so Athena reads one event per line,
      compresses with GZIP, and writes SSE-KMS objects with the log key under
      ``<prefix>!{timestamp:yyyy/MM/dd}/`` (UTC arrival day), records it could not process under the error
      prefix.
    * Firehose's role trusts ``firehose.amazonaws.com`` with ``sts:ExternalId`` = this account ("Allow
      Firehose to assume an IAM role"), and may write only under its prefixes and use the log key only through
      S3 for this bucket (``kms:ViaService``, ``kms:EncryptionContext:aws:s3:arn``, ``kms:ResourceAliases``).
      The bucket is in the archive account for the ``accounts`` and ``organization`` topologies: cross-account
      delivery also needs the archive's bucket and key policies to allow this role
      (:class:`~ebtrail.constructs.beanstalk_events_access.BeanstalkEventsArchiveAccess`); the bucket's
      ``BucketOwnerEnforced`` ownership makes the archive account own every object.
    """

    def __init__(self, scope: Construct, construct_id: str, props: BeanstalkEventsProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # A string where the region is known: FirehoseDeliveryRole acknowledges findings on ARNs made of it.
        bucket_arn = f"arn:{stack_partition(stack)}:s3:::{props.bucket_name}"
        self.stream_arn = stack.format_arn(
            service="firehose", resource="deliverystream", resource_name=props.stream_name
        )
        delivery = FirehoseDeliveryRole(
            self,
            FirehoseDeliveryRoleProps(
                role_name=props.role_name,
                stream_name=props.stream_name,
                bucket_arn=bucket_arn,
                bucket_region=props.bucket_region,
                prefix=props.prefix,
                error_prefix=props.error_prefix,
                key_arns=props.key_arns,
                key_alias=props.key_alias,
            ),
        )
        self.delivery_role, self.delivery_policy = delivery.role, delivery.policy
        self.stream = EventsDeliveryStream(
            self,
            EventsDeliveryStreamProps(
                stream_name=props.stream_name,
                role=delivery,
                bucket_arn=bucket_arn,
                key_alias_arn=props.key_alias_arn,
                prefix=props.prefix,
                error_prefix=props.error_prefix,
                buffer_seconds=props.buffer_seconds,
            ),
        ).stream
        rule = BeanstalkEventsRule(
            self,
            BeanstalkEventsRuleProps(rule_name=props.stream_name, detail_types=props.detail_types, stream=self.stream),
        )
        self.rule_arn, self.rule = rule.rule_arn, rule.rule
        self.events_role, self.events_policy = rule.role, rule.policy
        self.delivery_alarm: cloudwatch.Alarm | None = None
        if props.alarm_topic is not None:
            self.delivery_alarm = DeliveryFreshnessAlarm(
                self,
                DeliveryFreshnessAlarmProps(
                    stream_name=props.stream_name,
                    alarm_name=props.alarm_name or f"{props.stream_name}-delivery",
                    alarm_topic=props.alarm_topic,
                ),
            ).alarm
