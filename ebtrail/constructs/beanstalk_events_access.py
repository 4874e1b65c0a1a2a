"""The archive's side of Beanstalk event delivery: bucket- and key-policy statements for each Firehose role."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.constructs.beanstalk_events_delivery import (
    FIREHOSE_KMS_ACTIONS,
    FIREHOSE_S3_ACTIONS,
    kms_via_s3_conditions,
)


@dataclass(frozen=True)
class BeanstalkEventsWriter:
    """One trail account's Firehose role and the prefixes it writes."""

    account: str
    role_arn: str
    prefix: str
    error_prefix: str


@dataclass(frozen=True)
class BeanstalkEventsArchiveAccessProps:
    bucket: s3.IBucket
    #: The bucket's ARN as a plain string: the key policy cannot refer to the bucket resource, which refers to
    #: the key (a dependency cycle).
    bucket_arn: str
    key: kms.IKey
    writers: tuple[BeanstalkEventsWriter, ...]


class BeanstalkEventsArchiveAccess(Construct):
    """Per writing account, ``BeanstalkEventsWrite<account>`` (bucket policy) and ``BeanstalkEventsEncrypt<account>``
    (key policy).

    Cross-account delivery: "the S3 bucket policy in the destination account must allow the Firehose role of the
    source account" ("Cross-account delivery to an Amazon S3 destination", Amazon Data Firehose Developer Guide),
    and the key policy must allow it too, since a key policy is needed for any cross-account use of a KMS key.
    The writer is an IAM role, not a service principal, so the statements pin it with ``aws:PrincipalArn``
    (an ``aws:SourceArn`` condition applies to requests a service makes on its own behalf, and would be absent
    here, so every delivery would be denied). The principal is the account root with that pin: S3 and KMS refuse a
    policy naming a role that does not exist yet, and the archive is deployed before the trail accounts.
    Each role may write only under its own account's prefixes (the actions of
    :data:`~ebtrail.constructs.beanstalk_events_delivery.FIREHOSE_S3_ACTIONS`, ``s3:PutObjectAcl`` included, as
    that page's bucket policy grants it), and use the key only through S3, only for this bucket's Beanstalk event
    objects.
    """

    def __init__(self, scope: Construct, construct_id: str, props: BeanstalkEventsArchiveAccessProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        bucket = props.bucket
        self.bucket_statements: list[iam.PolicyStatement] = []
        self.key_statements: list[iam.PolicyStatement] = []
        for writer in props.writers:
            root = iam.ArnPrincipal(f"arn:{stack.partition}:iam::{writer.account}:root")
            pin = {"ArnEquals": {"aws:PrincipalArn": writer.role_arn}}
            write = iam.PolicyStatement(
                sid=f"BeanstalkEventsWrite{writer.account}",
                principals=[root],
                actions=list(FIREHOSE_S3_ACTIONS),
                resources=[
                    bucket.bucket_arn,
                    bucket.arn_for_objects(f"{writer.prefix}*"),
                    bucket.arn_for_objects(f"{writer.error_prefix}*"),
                ],
                conditions=pin,
            )
            bucket.add_to_resource_policy(write)
            self.bucket_statements.append(write)
            encrypt = iam.PolicyStatement(
                sid=f"BeanstalkEventsEncrypt{writer.account}",
                principals=[root],
                actions=list(FIREHOSE_KMS_ACTIONS),
                resources=["*"],
                conditions=pin
                | kms_via_s3_conditions(stack.region, props.bucket_arn, writer.prefix, writer.error_prefix),
            )
            props.key.add_to_resource_policy(encrypt)
            self.key_statements.append(encrypt)
