"""The log-archive stack: where every trail's log files end up."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from ebtrail.config import DeploymentConfig
from ebtrail.naming import archive_names, log_prefix, trail_targets
from trail_constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps
from trail_constructs.cloudtrail_bucket_policy import CloudTrailBucketPolicy, CloudTrailBucketPolicyProps
from trail_constructs.log_bucket import LogBucket, LogBucketProps
from trail_constructs.log_key import LogKey, LogKeyProps


class LogArchiveStack(Stack):
    """Log bucket, access-log bucket and log key, in the archive account and region.

    Deploy it before any trail that writes to it: ``CreateTrail`` checks this stack's bucket and key
    policies.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any) -> None:
        names = archive_names(config)
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.archive.account, region=config.archive.region),
            description="ebtrail log archive: CloudTrail log bucket, access-log bucket and KMS key",
            **kwargs,
        )
        writers = trail_targets(config)
        self.log_key = LogKey(
            self,
            "LogKey",
            LogKeyProps(
                alias=names.log_key_alias,
                writers=writers,
                reader_principals=list(config.archive.log_readers),
            ),
        )
        self.access_logs = AccessLogBucket(
            self,
            "AccessLogBucket",
            AccessLogBucketProps(
                bucket_name=names.access_log_bucket,
                retention_days=config.archive.access_logs.retention_days,
            ),
        )
        self.log_bucket = LogBucket(
            self,
            "LogBucket",
            LogBucketProps(
                bucket_name=names.log_bucket,
                encryption_key=self.log_key.key,
                access_log_bucket=self.access_logs.bucket,
                lifecycle=config.archive.lifecycle,
                object_lock=config.archive.object_lock,
            ),
        )
        self.bucket_policy = CloudTrailBucketPolicy(
            self,
            "CloudTrailBucketPolicy",
            CloudTrailBucketPolicyProps(
                bucket=self.log_bucket.bucket,
                writers=writers,
                log_prefix=log_prefix(config),
            ),
        )
