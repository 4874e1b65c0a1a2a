"""Bucket-policy statements that let the configured log readers (``archive.log_readers``) read the log files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.core import cloudtrail_layout as layout


@dataclass(frozen=True)
class LogReaderAccessProps:
    """Who may read, and where the trails write."""

    bucket: s3.IBucket
    #: Role or user ARNs, of any account (``archive.log_readers``).
    reader_principals: Sequence[str]
    #: ``""`` or ``"<key prefix>/"``, the part in front of ``AWSLogs/``.
    log_prefix: str = ""


class LogReaderAccess(Construct):
    """``AllowNamedLogReadersRead`` and ``AllowNamedLogReadersList`` in the log bucket's policy.

    A principal of another account reads an object only if the bucket policy allows it as well as its own IAM
    policy ("How Amazon S3 authorizes a request for an object operation", S3 User Guide: for a cross-account
    request both the requester's account and the bucket owner must grant it). The key policy's
    ``AllowNamedLogReadersDecrypt`` lets the readers decrypt; these two statements let them get there:

    * ``AllowNamedLogReadersRead``: ``s3:GetObject`` on ``[prefix/]AWSLogs/*``, every trail folder (CloudTrail
      writes log and digest files only there; the Beanstalk events of Firehose are elsewhere, and the key grant
      does not cover them either).
    * ``AllowNamedLogReadersList``: ``s3:ListBucket`` only for ``s3:prefix`` like ``[prefix/]AWSLogs/*``.

    Pinned like the key grant: the principal is each reader account's root with ``aws:PrincipalArn`` equal to one
    of the configured ARNs (S3 refuses a policy naming a role that does not exist yet, a root it accepts).
    """

    def __init__(self, scope: Construct, construct_id: str, props: LogReaderAccessProps) -> None:
        super().__init__(scope, construct_id)
        readers = sorted(props.reader_principals)
        if not readers:
            raise ValueError("LogReaderAccessProps.reader_principals must name at least one principal")
        partition = readers[0].split(":")[1]
        principals = [
            iam.ArnPrincipal(f"arn:{partition}:iam::{account}:root")
            for account in sorted({arn.split(":")[4] for arn in readers})
        ]
        pin = {"ArnEquals": {"aws:PrincipalArn": readers}}
        bucket = props.bucket
        self.read = iam.PolicyStatement(
            sid="AllowNamedLogReadersRead",
            principals=principals,
            actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects(layout.logs_objects_pattern(props.log_prefix))],
            conditions=pin,
        )
        self.list = iam.PolicyStatement(
            sid="AllowNamedLogReadersList",
            principals=principals,
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={**pin, "StringLike": {"s3:prefix": [layout.logs_objects_pattern(props.log_prefix)]}},
        )
        bucket.add_to_resource_policy(self.read)
        bucket.add_to_resource_policy(self.list)
