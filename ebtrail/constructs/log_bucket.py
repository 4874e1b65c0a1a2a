"""The S3 bucket that holds CloudTrail log and digest files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.hardened_bucket import hardened_bucket

_STORAGE_CLASSES: dict[str, s3.StorageClass] = {
    "STANDARD_IA": s3.StorageClass.INFREQUENT_ACCESS,
    "INTELLIGENT_TIERING": s3.StorageClass.INTELLIGENT_TIERING,
    "ONEZONE_IA": s3.StorageClass.ONE_ZONE_INFREQUENT_ACCESS,
    "GLACIER_IR": s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
    "GLACIER": s3.StorageClass.GLACIER,
    "DEEP_ARCHIVE": s3.StorageClass.DEEP_ARCHIVE,
}


class Transition(Protocol):
    """Move current log files to ``storage_class`` (``STANDARD_IA``, ``GLACIER``, ...) at ``days`` old."""

    @property
    def storage_class(self) -> str: ...
    @property
    def days(self) -> int: ...


class Lifecycle(Protocol):
    """The log bucket's lifecycle, in days (``expiration_days`` ``None``: never delete)."""

    @property
    def transitions(self) -> Sequence[Transition]: ...
    @property
    def expiration_days(self) -> int | None: ...
    @property
    def noncurrent_version_expiration_days(self) -> int: ...
    @property
    def abort_incomplete_multipart_upload_days(self) -> int: ...


class ObjectLock(Protocol):
    """Default Object Lock retention: ``mode`` ``GOVERNANCE`` or ``COMPLIANCE``, for ``days``."""

    @property
    def mode(self) -> str: ...
    @property
    def days(self) -> int: ...


@dataclass(frozen=True)
class LogBucketProps:
    """What the log bucket needs to know."""

    bucket_name: str
    #: Customer managed key for SSE-KMS (see :class:`ebtrail.constructs.log_key.LogEncryptionKey`).
    encryption_key: kms.IKey
    #: Destination of S3 server access logs (see :class:`ebtrail.constructs.access_log_bucket.AccessLogBucket`).
    access_log_bucket: s3.IBucket
    lifecycle: Lifecycle
    #: Default Object Lock retention. Default: no Object Lock.
    object_lock: ObjectLock | None = None


class LogBucket(Construct):
    """Log archive bucket: encrypted, private, versioned, TLS-only, retained, access-logged, lifecycled.

    * SSE-KMS with the customer managed log key and an S3 Bucket Key (fewer KMS requests; CloudTrail's
      key policy allows ``kms:Decrypt`` for it).
    * All four public-access blocks; object ownership ``BucketOwnerEnforced`` (ACLs disabled; CloudTrail's
      ``bucket-owner-full-control`` ACL is still accepted).
    * A ``Deny`` of every ``s3:*`` request without TLS (``aws:SecureTransport = false``).
    * Versioning, so an overwritten or deleted log file can be recovered; optional Object Lock (WORM).
    * ``DeletionPolicy``/``UpdateReplacePolicy: Retain``: deleting the stack never deletes logs.
    * Lifecycle: the configured archive transitions (for files of 128 KB or more:
      ``TransitionDefaultMinimumObjectSize = all_storage_classes_128K``) and expiration, noncurrent-version
      expiration and the abort of incomplete multipart uploads.
    """

    def __init__(self, scope: Construct, construct_id: str, props: LogBucketProps) -> None:
        super().__init__(scope, construct_id)
        lifecycle = props.lifecycle
        lock = props.object_lock
        self.bucket = hardened_bucket(
            self,
            "Bucket",
            bucket_name=props.bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=props.encryption_key,
            bucket_key_enabled=True,
            server_access_logs_bucket=props.access_log_bucket,
            server_access_logs_prefix=f"s3-access/{props.bucket_name}/",
            object_lock_enabled=True if lock else None,
            object_lock_default_retention=_retention(lock),
            # S3's default, stated: files under 128 KB (most CloudTrail log and digest files) transition
            # nowhere. For them every archive class costs more than S3 Standard (transition requests, 40 KB of
            # Glacier overhead, 128 KB minimum billable size); see ebtrail.core.lifecycle and bench/lifecycle_cost.py.
            transition_default_minimum_object_size=s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ArchiveAndExpireLogFiles",
                    transitions=[
                        s3.Transition(
                            storage_class=_STORAGE_CLASSES[transition.storage_class],
                            transition_after=Duration.days(transition.days),
                        )
                        for transition in lifecycle.transitions
                    ],
                    expiration=Duration.days(lifecycle.expiration_days) if lifecycle.expiration_days else None,
                    noncurrent_version_expiration=Duration.days(lifecycle.noncurrent_version_expiration_days),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        lifecycle.abort_incomplete_multipart_upload_days
                    ),
                )
            ],
        )
        acknowledge(
            self.bucket,
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "Cross-region replication needs a second bucket and key in another region, a choice per "
            "organization; versioning, optional Object Lock and retention on delete protect the log files here.",
        )


def _retention(lock: ObjectLock | None) -> s3.ObjectLockRetention | None:
    if lock is None:
        return None
    days = Duration.days(lock.days)
    if lock.mode == "COMPLIANCE":
        return s3.ObjectLockRetention.compliance(days)
    return s3.ObjectLockRetention.governance(days)
