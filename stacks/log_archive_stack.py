"""The log-archive stack: where every trail's log files end up."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from ebtrail.config import DeploymentConfig
from ebtrail.constructs.log_archive import LogArchive
from ebtrail.deployment import archive_props


class LogArchiveStack(Stack):
    """Log bucket, access-log bucket and log key, in the archive account and region; Athena over them.

    Deploy it before any trail that writes to it: ``CreateTrail`` checks this stack's bucket and key
    policies.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.archive.account, region=config.archive.region),
            description="ebtrail log archive: CloudTrail log bucket, access-log bucket and KMS key",
            **kwargs,
        )
        # The id "Default" leaves the construct out of every logical ID (CDK's rule for a child named
        # Default), so the archive's resources keep the logical IDs they had when the stack built them itself:
        # a deployed archive is updated in place, never replaced.
        self.archive = LogArchive(self, "Default", archive_props(config))
        self.log_key = self.archive.log_key
        self.access_logs = self.archive.access_logs
        self.log_bucket = self.archive.log_bucket
        self.bucket_policy = self.archive.bucket_policy
        self.athena = self.archive.athena
