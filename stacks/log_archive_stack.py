"""The log-archive stack: where every trail's log files end up."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.config import DeploymentConfig
from deployment.plan import archive_names, archive_props, beanstalk_events_prefixes, log_prefix, trail_targets
from ebtrail.constructs.beanstalk_events_access import (
    BeanstalkEventsArchiveAccess,
    BeanstalkEventsArchiveAccessProps,
    BeanstalkEventsWriter,
)
from ebtrail.constructs.beanstalk_events_table import BeanstalkEventsTable, BeanstalkEventsTableProps
from ebtrail.constructs.integrity_sweep import IntegritySweep, IntegritySweepProps
from ebtrail.constructs.log_archive import LogArchive


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
        # The id "Default" leaves the construct out of every logical ID (CDK's rule for a child named
        # Default), so the archive's resources keep the logical IDs they had when the stack built them itself:
        # a deployed archive is updated in place, never replaced.
        self.archive = LogArchive(self, "Default", archive_props(config))
        self.log_key = self.archive.log_key
        self.access_logs = self.archive.access_logs
        self.log_bucket = self.archive.log_bucket
        self.bucket_policy = self.archive.bucket_policy
        self.athena = self.archive.athena
        self.beanstalk_events_access: BeanstalkEventsArchiveAccess | None = None
        self.beanstalk_events_table: BeanstalkEventsTable | None = None
        if config.beanstalk_events.enabled:
            # Under the archive construct ("Default", left out of logical IDs): the template's DependsOn lists
            # follow construct paths, and these must keep their order among the archive's resources.
            self.beanstalk_events_access = BeanstalkEventsArchiveAccess(
                self.archive,
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
                    self.archive,
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
        self.integrity_sweep: IntegritySweep | None = None
        if config.integrity_sweep.enabled:
            # Under the archive construct ("Default", left out of logical IDs), like the other features.
            self.integrity_sweep = IntegritySweep(
                self.archive,
                "IntegritySweep",
                IntegritySweepProps(
                    names=names.integrity_sweep,
                    archive_bucket_name=names.log_bucket,
                    log_prefix=log_prefix(config),
                    log_key=self.log_key.key,
                    access_log_bucket=self.access_logs.bucket,
                    max_concurrency=config.integrity_sweep.max_concurrency,
                    digests_per_batch=config.integrity_sweep.digests_per_batch,
                    alarm_emails=tuple(config.alerts.emails),
                ),
            )
