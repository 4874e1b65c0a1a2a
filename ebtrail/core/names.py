"""Deterministic names and ARNs of everything ebtrail creates (plain values, no CDK, no config model).

Stacks in different accounts refer to each other's resources through these names, never through a
CloudFormation export or cross-stack reference (those cannot cross accounts). Changing anything here
renames deployed resources: CloudFormation replaces them, and the old, retained ones stay behind.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrailTarget:
    """One trail that writes to the archive: its account, home region and name.

    ``organization_id`` is set for an organization trail (created in the management account ``account``).
    """

    account: str
    home_region: str
    name: str
    partition: str
    organization_id: str | None = None

    @property
    def log_paths(self) -> list[str]:
        """Key paths (below the prefix) the trail writes to.

        A member trail writes ``AWSLogs/<account>/``. An organization trail writes every account's logs
        under ``AWSLogs/<o-orgid>/<account>/``, and ``CreateTrail`` also checks that it may write the
        management account's own path ``AWSLogs/<management account>/``.
        """
        paths = [f"AWSLogs/{self.account}/"]
        if self.organization_id:
            paths.append(f"AWSLogs/{self.organization_id}/")
        return paths

    @property
    def arn(self) -> str:
        """The trail ARN CloudTrail puts in ``aws:SourceArn`` and the encryption context."""
        return f"arn:{self.partition}:cloudtrail:{self.home_region}:{self.account}:trail/{self.name}"

    @property
    def delivery_topic_name(self) -> str:
        return f"{self.name}-delivery"

    @property
    def verifier_read_path(self) -> str:
        """Where the verifier, running in this trail's account, finds its own records."""
        if self.organization_id:
            return f"AWSLogs/{self.organization_id}/{self.account}/"
        return f"AWSLogs/{self.account}/"

    def verifier_role_arn(self, prefix: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{prefix}-beanstalk-verifier"

    @property
    def alert_topic_name(self) -> str:
        return f"{self.name}-beanstalk-alerts"

    @property
    def delivery_topic_arn(self) -> str:
        return f"arn:{self.partition}:sns:{self.home_region}:{self.account}:{self.delivery_topic_name}"


@dataclass(frozen=True)
class ArchiveNames:
    """Names of the log-archive resources."""

    prefix: str
    account: str
    region: str
    partition: str

    @property
    def log_bucket(self) -> str:
        return f"{self.prefix}-logs-{self.account}-{self.region}"

    @property
    def access_log_bucket(self) -> str:
        return f"{self.prefix}-access-logs-{self.account}-{self.region}"

    @property
    def log_key_alias(self) -> str:
        return f"alias/{self.prefix}/cloudtrail-logs"

    @property
    def log_key_alias_arn(self) -> str:
        """Trails in other stacks and accounts name the key by this alias ARN (CloudTrail accepts it)."""
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:{self.log_key_alias}"

    @property
    def athena_results_bucket(self) -> str:
        return f"{self.prefix}-athena-results-{self.account}-{self.region}"

    @property
    def athena_database(self) -> str:
        """Glue database names allow lowercase letters, digits and underscores."""
        return f"{self.prefix.replace('-', '_')}_audit"

    @property
    def athena_workgroup(self) -> str:
        return f"{self.prefix}-beanstalk-audit"

    @property
    def verifier_policy(self) -> str:
        """Name of the verifier's managed policy and role in each trail account (see
        :meth:`TrailTarget.verifier_role_arn`)."""
        return f"{self.prefix}-beanstalk-verifier"

    @property
    def log_bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.log_bucket}"
