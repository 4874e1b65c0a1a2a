"""The KMS key that encrypts CloudTrail log and digest files in the archive bucket.

:class:`LogEncryptionKey`, not ``LogKey``: in the verifier a ``LogKey`` is the S3 object key of a log file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ebtrail.constructs.policy_conditions import CLOUDTRAIL_CONTEXT_KEY, CLOUDTRAIL_SERVICE, source_arn_equals
from ebtrail.core.names import TrailTarget


@dataclass(frozen=True)
class LogEncryptionKeyProps:
    """What the log key needs to know."""

    #: Alias, for example ``alias/ebtrail/cloudtrail-logs``; trails in other stacks name the key by it.
    alias: str
    #: Every trail that encrypts with this key.
    writers: list[TrailTarget]
    #: Role or user ARNs, of any account, that may decrypt log files (they also need an IAM grant in their
    #: own account). The archive account's own IAM principals may decrypt through their IAM policies.
    #: Default: none.
    reader_principals: list[str] = field(default_factory=list)
    #: Role ARNs, of other accounts, that may ``kms:DescribeKey`` (the delivery canaries' drift check resolves the
    #: key's alias to compare it with the trail's key). Default: none.
    key_describers: list[str] = field(default_factory=list)


class LogEncryptionKey(Construct):
    """Customer managed KMS key for SSE-KMS log files, with the key policy CloudTrail documents.

    Meets "Configure AWS KMS key policies for CloudTrail" (CloudTrail User Guide):

    * ``AllowCloudTrailEncryptLogs``: ``kms:GenerateDataKey*`` for ``cloudtrail.amazonaws.com`` only when
      the encryption context names a trail of a writing account and ``aws:SourceArn`` is one of our trails.
    * ``AllowCloudTrailDescribeKey``: CloudTrail calls ``kms:DescribeKey`` when a trail is created or
      updated (``InsufficientEncryptionPolicyException`` otherwise).
    * ``AllowCloudTrailDecryptForBucketKey``: with an S3 Bucket Key, CloudTrail needs ``kms:Decrypt`` to
      create or update a trail with SSE-KMS.
    * ``AllowLogReadersDecrypt``: principals of the archive account decrypt only CloudTrail-encrypted
      data (``Null`` condition on the CloudTrail encryption context), as far as IAM allows them.
    * ``AllowNamedLogReadersDecrypt``: the same for the configured readers, of any account, pinned by
      ``aws:PrincipalArn``.

    Rotation is on; the key is retained when the stack is deleted or the key replaced, since deleting it
    would make every log file unreadable.
    """

    def __init__(self, scope: Construct, construct_id: str, props: LogEncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=props.alias,
            description="Encrypts CloudTrail log and digest files of the ebtrail archive",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for statement in log_key_statements(props.writers, props.reader_principals, props.key_describers):
            self.key.add_to_resource_policy(statement)


def log_key_statements(
    writers: Sequence[TrailTarget], reader_principals: Sequence[str] = (), key_describers: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """The key-policy statements of :class:`LogEncryptionKey` (see there), for a key this construct creates or,
    for a key someone else owns, for its owner to add (:class:`~ebtrail.constructs.log_archive.LogArchive`)."""
    statements: list[iam.PolicyStatement] = []
    # A renamed trail's previous names too (trail.previous_names): the old trail encrypts until it is replaced.
    trail_arns = [arn for writer in writers for arn in writer.delivering_arns]
    writer_contexts = sorted({f"arn:{w.partition}:cloudtrail:*:{w.account}:trail/*" for w in writers})
    statements.append(
        iam.PolicyStatement(
            sid="AllowCloudTrailEncryptLogs",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["kms:GenerateDataKey*"],
            resources=["*"],
            conditions={
                "StringLike": {CLOUDTRAIL_CONTEXT_KEY: writer_contexts},
                "StringEquals": source_arn_equals(trail_arns),
            },
        )
    )
    statements.append(
        iam.PolicyStatement(
            sid="AllowCloudTrailDescribeKey",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["kms:DescribeKey"],
            resources=["*"],
            conditions={"StringEquals": source_arn_equals(trail_arns)},
        )
    )
    statements.append(
        iam.PolicyStatement(
            sid="AllowCloudTrailDecryptForBucketKey",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": source_arn_equals(trail_arns)},
        )
    )
    statements.append(
        iam.PolicyStatement(
            sid="AllowLogReadersDecrypt",
            principals=[iam.AccountRootPrincipal()],
            actions=["kms:Decrypt", "kms:ReEncryptFrom"],
            resources=["*"],
            conditions={"Null": {CLOUDTRAIL_CONTEXT_KEY: "false"}},
        )
    )
    if reader_principals:
        # Named readers, possibly of other accounts (a security or audit account). The key policy
        # trusts their accounts' roots and pins the exact principals with aws:PrincipalArn: KMS
        # rejects a key policy naming a role that does not exist (yet), a root principal it accepts.
        reader_accounts = sorted({arn.split(":")[4] for arn in reader_principals})
        partition = reader_principals[0].split(":")[1]
        statements.append(
            iam.PolicyStatement(
                sid="AllowNamedLogReadersDecrypt",
                principals=[iam.ArnPrincipal(f"arn:{partition}:iam::{account}:root") for account in reader_accounts],
                actions=["kms:Decrypt", "kms:ReEncryptFrom"],
                resources=["*"],
                conditions={
                    "Null": {CLOUDTRAIL_CONTEXT_KEY: "false"},
                    "ArnEquals": {"aws:PrincipalArn": sorted(reader_principals)},
                },
            )
        )
    if key_describers:
        # The delivery canaries of other accounts resolve the key's alias (drift check), pinned like the readers.
        describer_accounts = sorted({arn.split(":")[4] for arn in key_describers})
        partition = key_describers[0].split(":")[1]
        statements.append(
            iam.PolicyStatement(
                sid="AllowCanariesDescribeKey",
                principals=[iam.ArnPrincipal(f"arn:{partition}:iam::{account}:root") for account in describer_accounts],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"ArnEquals": {"aws:PrincipalArn": sorted(key_describers)}},
            )
        )
    return statements
