"""The log-archive stack: where every trail's log files end up."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.plan import ArchivePlan, BeanstalkEventsArchivePlan, IntegritySweepPlan
from ebtrail.constructs.beanstalk_events_access import BeanstalkEventsArchiveAccess, BeanstalkEventsArchiveAccessProps
from ebtrail.constructs.beanstalk_events_table import BeanstalkEventsTable, BeanstalkEventsTableProps
from ebtrail.constructs.integrity_sweep import IntegritySweep, IntegritySweepProps
from ebtrail.constructs.log_archive import LogArchive


class LogArchiveStack(Stack):
    """Log bucket, access-log bucket and log key, in the archive account and region; Athena over them.

    Deploy it before any trail that writes to it: ``CreateTrail`` checks this stack's bucket and key
    policies.
    """

    def __init__(self, scope: Construct, construct_id: str, *, plan: ArchivePlan, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=plan.place.account, region=plan.place.region),
            description="ebtrail log archive: CloudTrail log bucket, access-log bucket and KMS key",
            **kwargs,
        )
        # The id "Default" leaves the construct out of every logical ID (CDK's rule for a child named
        # Default), so the archive's resources keep the logical IDs they had when the stack built them itself:
        # a deployed archive is updated in place, never replaced.
        self.archive = LogArchive(self, "Default", plan.props)
        self.log_key = self.archive.log_key
        self.access_logs = self.archive.access_logs
        self.log_bucket = self.archive.log_bucket
        self.bucket_policy = self.archive.bucket_policy
        self.athena = self.archive.athena
        self.beanstalk_events_access: BeanstalkEventsArchiveAccess | None = None
        self.beanstalk_events_table: BeanstalkEventsTable | None = None
        if plan.beanstalk_events is not None:
            self._add_beanstalk_events(plan.beanstalk_events)
        self.integrity_sweep: IntegritySweep | None = None
        if plan.integrity_sweep is not None:
            self.integrity_sweep = self._integrity_sweep(plan.integrity_sweep)

    def _add_beanstalk_events(self, events: BeanstalkEventsArchivePlan) -> None:
        # Under the archive construct ("Default", left out of logical IDs): the template's DependsOn lists
        # follow construct paths, and these must keep their order among the archive's resources.
        self.beanstalk_events_access = BeanstalkEventsArchiveAccess(
            self.archive,
            "BeanstalkEventsAccess",
            BeanstalkEventsArchiveAccessProps(
                bucket=self.log_bucket.bucket,
                bucket_arn=self.archive.names.log_bucket_arn,
                key=self.log_key.key,
                writers=events.writers,
            ),
        )
        if self.athena is not None and events.table is not None:
            table = events.table
            self.beanstalk_events_table = BeanstalkEventsTable(
                self.archive,
                "BeanstalkEventsTable",
                BeanstalkEventsTableProps(
                    database=self.athena.database,
                    workgroup=self.athena.workgroup,
                    table_name="beanstalk_events",
                    cloudtrail_table=self.athena.table,
                    cloudtrail_table_name="cloudtrail_logs",
                    location=table.location,
                    accounts=list(table.accounts),
                    regions=list(table.regions),
                    projection_start=table.projection_start,
                ),
            )

    def _integrity_sweep(self, sweep: IntegritySweepPlan) -> IntegritySweep:
        # Under the archive construct ("Default", left out of logical IDs), like the other features.
        return IntegritySweep(
            self.archive,
            "IntegritySweep",
            IntegritySweepProps(
                names=sweep.names,
                archive_bucket_name=sweep.archive_bucket_name,
                log_prefix=sweep.log_prefix,
                log_key=self.log_key.key,
                access_log_bucket=self.access_logs.bucket,
                max_concurrency=sweep.max_concurrency,
                digests_per_batch=sweep.digests_per_batch,
                alarm_emails=sweep.alarm_emails,
            ),
        )
