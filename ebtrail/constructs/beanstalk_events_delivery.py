"""Firehose's side of the Beanstalk service events: the stream and the role it writes to the archive with.

Parts of :class:`~ebtrail.constructs.beanstalk_events.BeanstalkEvents`. They are plain classes that add their
resources to the events construct's own scope, not constructs of their own: a construct in between would change
the construct paths, so the logical IDs, and CloudFormation would replace the stream (dropping the records it
buffers) and the custom-named role, whose replacement under the same name fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.policy_conditions import regional_service

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
#: Firehose's buffer size before it writes an object, in MiB (``BufferingHints.SizeInMBs``).
BUFFER_SIZE_MIB = 5


@dataclass(frozen=True)
class FirehoseDeliveryRoleProps:
    """The role's name, and the part of the archive it may write."""

    #: Name of the role (the archive's bucket and key policies name it by ARN).
    role_name: str
    #: The stream that uses it (the role's description).
    stream_name: str
    #: ARN of the log bucket, and its region (for ``kms:ViaService``).
    bucket_arn: str
    bucket_region: str
    #: Object key prefixes the stream writes events and failed records under, each ending in ``/``.
    prefix: str
    error_prefix: str
    #: ``arn:<partition>:kms:<region>:<account>:key/*`` of the archive, and the log key's alias it is pinned to.
    key_arns: str
    key_alias: str


class FirehoseDeliveryRole:
    """Firehose's delivery role: trusts ``firehose.amazonaws.com`` with ``sts:ExternalId`` = this account ("Allow
    Firehose to assume an IAM role"), may write only under the stream's prefixes and use the log key only through
    S3 for this bucket (``kms:ViaService``, ``kms:EncryptionContext:aws:s3:arn``, ``kms:ResourceAliases``). The
    bucket may be another account's: then the archive's bucket and key policies must allow this role too
    (:class:`~ebtrail.constructs.beanstalk_events_access.BeanstalkEventsArchiveAccess`). Adds ``DeliveryRole`` and
    ``DeliveryPolicy`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: FirehoseDeliveryRoleProps) -> None:
        bucket_arn = props.bucket_arn
        self.role = iam.Role(
            scope,
            "DeliveryRole",
            role_name=props.role_name,
            description=f"Firehose stream {props.stream_name} writes Elastic Beanstalk events to the archive",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com").with_conditions(
                {"StringEquals": {"sts:ExternalId": Stack.of(scope).account}}
            ),
        )
        object_arns = [f"{bucket_arn}/{props.prefix}*", f"{bucket_arn}/{props.error_prefix}*"]
        self.policy = iam.ManagedPolicy(
            scope,
            "DeliveryPolicy",
            roles=[self.role],
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
                self.policy,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                "Firehose names the objects it writes; the wildcard is on this stream's prefix of the log bucket.",
            )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{props.key_arns}]",
            "The log key's ID is not known by name in this account; kms:ResourceAliases pins the grant to its alias "
            "and kms:ViaService to S3.",
        )


@dataclass(frozen=True)
class EventsDeliveryStreamProps:
    """Where the stream writes, with which role and key, and how long it buffers."""

    stream_name: str
    #: The delivery role (:class:`FirehoseDeliveryRole`): the stream is created after its policy.
    role: FirehoseDeliveryRole
    bucket_arn: str
    #: Alias ARN of the log key the objects are SSE-KMS encrypted with.
    key_alias_arn: str
    #: Object key prefixes of events and of failed records, each ending in ``/``.
    prefix: str
    error_prefix: str
    #: Seconds Firehose buffers before writing an object. Default: 300 (:class:`BeanstalkEventsProps`).
    buffer_seconds: int = 300


class EventsDeliveryStream:
    """A DirectPut Firehose stream, server-side encrypted with an AWS owned key, writing to the log bucket.

    It appends a newline to each record (``AppendDelimiterToRecord``, "Processor", Firehose API Reference), so
    Athena reads one event per line; compresses with GZIP; writes SSE-KMS objects with the log key under
    ``<prefix>!{timestamp:yyyy/MM/dd}/`` (UTC arrival day) and records it could not process under the error
    prefix, by error type. Adds ``Stream`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: EventsDeliveryStreamProps) -> None:
        cfn = firehose.CfnDeliveryStream
        self.stream = cfn(
            scope,
            "Stream",
            delivery_stream_name=props.stream_name,
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=cfn.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=cfn.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=props.bucket_arn,
                role_arn=props.role.role.role_arn,
                prefix=f"{props.prefix}!{{timestamp:yyyy/MM/dd}}/",
                error_output_prefix=f"{props.error_prefix}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
                buffering_hints=cfn.BufferingHintsProperty(
                    interval_in_seconds=props.buffer_seconds, size_in_m_bs=BUFFER_SIZE_MIB
                ),
                compression_format="GZIP",
                encryption_configuration=cfn.EncryptionConfigurationProperty(
                    kms_encryption_config=cfn.KMSEncryptionConfigProperty(awskms_key_arn=props.key_alias_arn)
                ),
                processing_configuration=cfn.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[cfn.ProcessorProperty(type="AppendDelimiterToRecord")],
                ),
            ),
        )
        self.stream.node.add_dependency(props.role.policy)


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
