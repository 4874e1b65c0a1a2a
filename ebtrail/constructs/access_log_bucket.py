"""The bucket that receives S3 server access logs of the log bucket."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.hardened_bucket import expiring_objects_rule, hardened_bucket


@dataclass(frozen=True)
class AccessLogBucketProps:
    """What the access-log bucket needs to know."""

    bucket_name: str
    #: Days access logs are kept before S3 deletes them.
    retention_days: int


class AccessLogBucket(Construct):
    """Server-access-log destination: who read or wrote the log archive, kept for ``retention_days``.

    SSE-S3, because S3 server access logging cannot write to a bucket whose default encryption is
    SSE-KMS (S3 User Guide, "Enabling Amazon S3 server access logging"). TLS-only, all public access
    blocked, versioned, retained on delete. Its bucket policy lets ``logging.s3.amazonaws.com`` write,
    which aws-cdk-lib adds when the log bucket names this bucket as its access-log target.
    """

    def __init__(self, scope: Construct, construct_id: str, props: AccessLogBucketProps) -> None:
        super().__init__(scope, construct_id)
        self.bucket = hardened_bucket(
            self,
            "Bucket",
            bucket_name=props.bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[expiring_objects_rule("ExpireAccessLogs", props.retention_days)],
        )
        acknowledge(
            self.bucket,
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            "S3 server access logging delivers only to SSE-S3 buckets, not SSE-KMS.",
        )
        acknowledge(
            self.bucket,
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "Access logs of the archive are operational records kept for a fixed retention; replicating them "
            "to a second region is not worth a second bucket.",
        )
