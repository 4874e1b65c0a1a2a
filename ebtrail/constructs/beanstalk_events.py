"""Elastic Beanstalk service events (status, health, managed updates) into the archive through Firehose."""

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

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.policy_conditions import regional_service, stack_partition
from ebtrail.core.beanstalk import EVENTS_SOURCE

#: What Firehose needs on its S3 destination ("Grant Firehose access to an Amazon S3 destination", Amazon Data
#: Firehose Developer Guide, https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3),
#: with ``s3:PutObjectAcl``: "Cross-account delivery to an Amazon S3 destination" (same page,
#: #cross-account-delivery-s3) says it "is required for cross account delivery", because Firehose sets the
#: ``x-amz-acl`` header to ``bucket-owner-full-control``, and its example bucket policy grants it too. Granted in
#: every topology, in the role and in the archive's bucket statement: the same-account case does not need it, but
#: whether the bucket is another account's is decided by the config, and a missing grant fails no deploy, only every
#: delivery (the stream's delivery alarm would be the first to tell).
FIREHOSE_S3_ACTIONS: tuple[str, ...] = (
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
    "s3:PutObjectAcl",
)
#: What Firehose needs on the destination's KMS key (same page): only through S3.
FIREHOSE_KMS_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey")


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
    buffer_seconds: int = 300
    #: Topic for the delivery alarm (the alert topic, whose policy must let :attr:`alarm_name` publish).
    #: Default: no alarm.
    alarm_topic: sns.ITopic | None = None
    #: Name of the delivery alarm. Default ``<stream_name>-delivery``; the trail stack names it with
    #: :func:`ebtrail.core.names.alarm_name`, like every alarm the alert topic allows.
    alarm_name: str | None = None


class BeanstalkEvents(Construct):
    """An EventBridge rule on Elastic Beanstalk's service events, delivered by Firehose to the log bucket.

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
        bucket_arn = f"arn:{stack_partition(stack)}:s3:::{props.bucket_name}"  # acknowledged below: a string
        self.stream_arn = stack.format_arn(
            service="firehose", resource="deliverystream", resource_name=props.stream_name
        )
        self.rule_arn = stack.format_arn(service="events", resource="rule", resource_name=props.stream_name)

        self.delivery_role = iam.Role(
            self,
            "DeliveryRole",
            role_name=props.role_name,
            description=f"Firehose stream {props.stream_name} writes Elastic Beanstalk events to the archive",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com").with_conditions(
                {"StringEquals": {"sts:ExternalId": stack.account}}
            ),
        )
        object_arns = [f"{bucket_arn}/{props.prefix}*", f"{bucket_arn}/{props.error_prefix}*"]
        self.delivery_policy = iam.ManagedPolicy(
            self,
            "DeliveryPolicy",
            roles=[self.delivery_role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteBeanstalkEvents",
                    actions=list(FIREHOSE_S3_ACTIONS),
                    resources=[bucket_arn, *object_arns],
                ),
                iam.PolicyStatement(
                    sid="EncryptWithTheLogKey",
                    actions=list(FIREHOSE_KMS_ACTIONS),
                    resources=[props.key_arns],
                    conditions=kms_via_s3_conditions(props.bucket_region, bucket_arn, props.prefix, props.error_prefix)
                    | {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [props.key_alias]}},
                ),
            ],
        )
        for resource in object_arns:
            acknowledge(
                self.delivery_policy,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                "Firehose names the objects it writes; the wildcard is on this stream's prefix of the log bucket.",
            )
        acknowledge(
            self.delivery_policy,
            f"AwsSolutions-IAM5[Resource::{props.key_arns}]",
            "The log key's ID is not known by name in this account; kms:ResourceAliases pins the grant to its alias "
            "and kms:ViaService to S3.",
        )

        self.stream = firehose.CfnDeliveryStream(
            self,
            "Stream",
            delivery_stream_name=props.stream_name,
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket_arn,
                role_arn=self.delivery_role.role_arn,
                prefix=f"{props.prefix}!{{timestamp:yyyy/MM/dd}}/",
                error_output_prefix=f"{props.error_prefix}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=props.buffer_seconds, size_in_m_bs=5
                ),
                compression_format="GZIP",
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=props.key_alias_arn
                    )
                ),
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[firehose.CfnDeliveryStream.ProcessorProperty(type="AppendDelimiterToRecord")],
                ),
            ),
        )
        self.stream.node.add_dependency(self.delivery_policy)

        self.events_role = iam.Role(
            self,
            "EventsRole",
            description=f"EventBridge rule {props.stream_name} puts Elastic Beanstalk events into Firehose",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceArn": self.rule_arn, "aws:SourceAccount": stack.account}}
            ),
        )
        self.events_policy = iam.ManagedPolicy(
            self,
            "EventsPolicy",
            roles=[self.events_role],
            statements=[
                iam.PolicyStatement(
                    sid="PutBeanstalkEvents",
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[self.stream.attr_arn],
                )
            ],
        )
        self.rule = events.CfnRule(
            self,
            "Rule",
            name=props.stream_name,
            description="Elastic Beanstalk service events (not API calls) to the archive through Firehose",
            event_pattern={"source": [EVENTS_SOURCE], "detail-type": list(props.detail_types)},
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="Firehose", arn=self.stream.attr_arn, role_arn=self.events_role.role_arn
                )
            ],
        )
        self.rule.node.add_dependency(self.events_policy)

        self.delivery_alarm: cloudwatch.Alarm | None = None
        if props.alarm_topic is not None:
            # "Implement best practices with CloudWatch Alarms" (Firehose Developer Guide): alarm when
            # DeliveryToS3.DataFreshness exceeds the buffering limit (at most 15 minutes). A bucket or key policy
            # that refuses the role fails no deploy and no API call; Firehose keeps retrying, records age, and
            # this alarm is how anyone hears of it.
            self.delivery_alarm = cloudwatch.Alarm(
                self,
                "DeliveryAlarm",
                alarm_name=props.alarm_name or f"{props.stream_name}-delivery",
                alarm_description=f"Firehose {props.stream_name} has held Elastic Beanstalk events for over 15 minutes",
                metric=cloudwatch.Metric(
                    namespace="AWS/Firehose",
                    metric_name="DeliveryToS3.DataFreshness",
                    dimensions_map={"DeliveryStreamName": props.stream_name},
                    statistic="Maximum",
                    period=Duration.minutes(5),
                ),
                threshold=900,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.delivery_alarm.add_alarm_action(cloudwatch_actions.SnsAction(props.alarm_topic))


def kms_via_s3_conditions(
    bucket_region: str, bucket_arn: str, prefix: str, error_prefix: str
) -> dict[str, dict[str, list[str]]]:
    """The log key only through S3, only for this bucket's Beanstalk event objects.

    With an S3 Bucket Key (the log bucket has one) the encryption context is the bucket ARN, without one the
    object ARN ("Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys", S3 User Guide): both are allowed,
    since a condition that missed the one S3 uses would make every delivery fail.
    """
    return {
        "StringEquals": {"kms:ViaService": [regional_service("s3", bucket_region)]},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/{prefix}*", f"{bucket_arn}/{error_prefix}*"]
        },
    }
