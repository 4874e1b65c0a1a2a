"""The log-archive stack: where every trail's log files end up."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from ebtrail.config import DeploymentConfig
from ebtrail.constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps
from ebtrail.constructs.athena_archive import AthenaArchive, AthenaArchiveProps
from ebtrail.constructs.beanstalk_events_access import (
    BeanstalkEventsArchiveAccess,
    BeanstalkEventsArchiveAccessProps,
    BeanstalkEventsWriter,
)
from ebtrail.constructs.beanstalk_events_table import BeanstalkEventsTable, BeanstalkEventsTableProps
from ebtrail.constructs.cloudtrail_bucket_policy import CloudTrailBucketPolicy, CloudTrailBucketPolicyProps
from ebtrail.constructs.log_bucket import LogBucket, LogBucketProps
from ebtrail.constructs.log_key import LogKey, LogKeyProps
from ebtrail.constructs.verifier_read_access import VerifierReadAccess, VerifierReadAccessProps
from ebtrail.deployment import archive_names, beanstalk_events_prefixes, log_prefix, logging_accounts, trail_targets


class LogArchiveStack(Stack):
    """Log bucket, access-log bucket and log key, in the archive account and region; Athena over them.

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
        # Verifier roles in other accounts need the archive's bucket and key policies to name them.
        remote_verifiers = [
            writer
            for writer in writers
            if config.verifier.enabled and config.verifier.assumed_by and writer.account != names.account
        ]
        self.log_key = LogKey(
            self,
            "LogKey",
            LogKeyProps(
                alias=names.log_key_alias,
                writers=writers,
                reader_principals=[
                    *config.archive.log_readers,
                    *(writer.verifier_role_arn(names.prefix) for writer in remote_verifiers),
                ],
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
        if remote_verifiers:
            VerifierReadAccess(
                self,
                "VerifierReadAccess",
                VerifierReadAccessProps(
                    bucket=self.log_bucket.bucket,
                    writers=remote_verifiers,
                    name_prefix=names.prefix,
                    log_prefix=log_prefix(config),
                ),
            )
        self.athena: AthenaArchive | None = None
        if config.athena.enabled:
            results_key = kms.Key(
                self,
                "QueryResultsKey",
                alias=names.athena_results_key_alias,
                description="Encrypts Athena query results over the ebtrail archive",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
            )
            self.athena = AthenaArchive(
                self,
                "Athena",
                AthenaArchiveProps(
                    database_name=names.athena_database,
                    table_name="cloudtrail_logs",
                    workgroup_name=names.athena_workgroup,
                    log_bucket_name=names.log_bucket,
                    log_prefix=log_prefix(config),
                    accounts=logging_accounts(config),
                    organization_id=config.organization.id if config.organization else None,
                    results_bucket_name=names.athena_results_bucket,
                    encryption_key=results_key,
                    projection_start=config.athena.projection_start,
                    access_log_bucket=self.access_logs.bucket,
                    results_expiration_days=config.athena.results_expiration_days,
                ),
            )
        self.beanstalk_events_access: BeanstalkEventsArchiveAccess | None = None
        self.beanstalk_events_table: BeanstalkEventsTable | None = None
        if config.beanstalk_events.enabled:
            self.beanstalk_events_access = BeanstalkEventsArchiveAccess(
                self,
                "BeanstalkEventsAccess",
                BeanstalkEventsArchiveAccessProps(
                    bucket=self.log_bucket.bucket,
                    bucket_arn=names.log_bucket_arn,
                    key=self.log_key.key,
                    writers=tuple(
                        BeanstalkEventsWriter(
                            account=writer.account,
                            role_arn=writer.beanstalk_events_role_arn(names.prefix),
                            prefix=beanstalk_events_prefixes(config, writer)[0],
                            error_prefix=beanstalk_events_prefixes(config, writer)[1],
                        )
                        for writer in writers
                    ),
                ),
            )
            if self.athena is not None:
                self.beanstalk_events_table = BeanstalkEventsTable(
                    self,
                    "BeanstalkEventsTable",
                    BeanstalkEventsTableProps(
                        database=self.athena.database,
                        workgroup=self.athena.workgroup,
                        table_name="beanstalk_events",
                        cloudtrail_table=self.athena.table,
                        cloudtrail_table_name="cloudtrail_logs",
                        location=f"s3://{names.log_bucket}/{log_prefix(config)}beanstalk-events/",
                        accounts=sorted({writer.account for writer in writers}),
                        regions=sorted({writer.home_region for writer in writers}),
                        projection_start=f"{config.athena.projection_start:%Y/%m/%d}",
                    ),
                )
