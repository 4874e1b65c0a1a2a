"""The sections every deployment config has (archive, trail settings, features, tags) and :class:`TopologyConfig`,
the interface each topology's type implements (:mod:`ebtrail.config.topologies`).

What differs by topology (which trails write to the archive, which accounts log into it, which fields a config
must or must not have) is a method of the topology's type, never a branch on the topology's name: a new topology
is a new type that implements this interface, and tests/config/test_topology_types.py checks that every member of
the union does.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from ebtrail.config.formats import (
    AccountId,
    AlertAction,
    BeanstalkDetailType,
    BootstrapQualifier,
    Days,
    Email,
    GuardrailTarget,
    KeyPrefix,
    NamePrefix,
    OrganizationId,
    PreviousKeyPrefix,
    PrincipalArn,
    Region,
    RolePattern,
    StorageClass,
    StrictModel,
    TagKey,
    TagValue,
    TrailName,
)
from ebtrail.config.problems import Problem
from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from ebtrail.core.names import ExistingTrail, TrailTarget
from ebtrail.core.regions import partition_of


class Transition(StrictModel):
    """Move current log files to ``storage_class`` once they are ``days`` old (S3 lifecycle Transition)."""

    storage_class: StorageClass
    days: Days


class Lifecycle(StrictModel):
    """Archive and delete rules for the log bucket.

    Defaults: GLACIER_IR at 90 days, DEEP_ARCHIVE at 365, deletion after 2,557 days (7 years), noncurrent
    versions deleted 30 days after they are replaced, incomplete multipart uploads aborted after 7 days.
    Transitions apply to files of 128 KB or more only (S3's ``all_storage_classes_128K``, set explicitly on
    the bucket): most CloudTrail files are a few KB and stay in S3 Standard, which for them is cheaper than any
    archive class (``bench/lifecycle_cost.py``). GLACIER_IR stays readable by Athena, so the saved queries'
    90-day look-back sees every file; DEEP_ARCHIVE (invisible to Athena) starts after a year.
    """

    transitions: tuple[Transition, ...] = (
        Transition(storage_class="GLACIER_IR", days=90),
        Transition(storage_class="DEEP_ARCHIVE", days=365),
    )
    #: Delete log files this many days after delivery; ``None`` keeps them forever.
    expiration_days: Days | None = 2557
    noncurrent_version_expiration_days: Days = 30
    abort_incomplete_multipart_upload_days: Days = 7
    #: Set to true to allow an expiration that deletes archived objects before their minimum storage
    #: duration (S3 bills the remaining days as an early-deletion charge).
    accept_early_deletion_charge: bool = False


class ObjectLock(StrictModel):
    """Default Object Lock retention on the log bucket (WORM). Off unless configured."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: Days


class AccessLogs(StrictModel):
    """The server-access-log bucket. Default: access logs kept 365 days."""

    retention_days: Days = 365


class Archive(StrictModel):
    """The log-archive side: bucket, access-log bucket and KMS key, in one account and region."""

    account: AccountId
    region: Region
    #: Optional prefix in front of ``AWSLogs/``. Default: none.
    key_prefix: KeyPrefix | None = None
    #: Key prefixes the trails wrote under before ``key_prefix`` changed (``""`` for no prefix), for a change
    #: without a gap: while listed, the bucket policy still lets the trails write there, until CloudFormation has
    #: updated each trail to the new prefix. Remove them after that deploy. Default: none.
    previous_key_prefixes: tuple[PreviousKeyPrefix, ...] = ()
    lifecycle: Lifecycle = Lifecycle()
    access_logs: AccessLogs = AccessLogs()
    object_lock: ObjectLock | None = None
    #: Role or user ARNs, of any account, allowed to read (bucket policy, ``[prefix/]AWSLogs/*``) and decrypt (key
    #: policy) log files, besides IAM principals of the archive account that an IAM policy allows; each still needs
    #: an IAM grant in its own account. Default: none.
    log_readers: tuple[PrincipalArn, ...] = ()

    @property
    def partition(self) -> str:
        return partition_of(self.region)


class Trail(StrictModel):
    """The trail settings every topology shares. Multi-region, global service events and log-file validation are
    always on. Where the trails are (``account``/``home_region`` or ``[[trail.members]]``) belongs to the
    topology's own trail type."""

    name: TrailName = "ebtrail-audit"
    #: Which management events to record. Default ``All``; Elastic Beanstalk writes need ``All`` or
    #: ``WriteOnly``. ``ReadOnly`` is refused unless ``acknowledge_no_beanstalk_writes`` is true.
    management_events: Literal["All", "ReadOnly", "WriteOnly"] = "All"
    #: Set to true to deploy a ``ReadOnly`` trail on purpose: it records no Elastic Beanstalk change.
    acknowledge_no_beanstalk_writes: bool = False
    #: E-mail addresses subscribed to each delivery topic (each must confirm). Default: none.
    notification_emails: tuple[Email, ...] = ()
    #: S3 data events on the Elastic Beanstalk storage buckets (``elasticbeanstalk-<region>-<account>``, which
    #: hold application bundles and saved configurations): ``"off"`` (default), ``"WriteOnly"`` (who uploaded,
    #: replaced or deleted a bundle) or ``"All"`` (reads too). Billed per event; see README.md.
    beanstalk_data_events: Literal["off", "WriteOnly", "All"] = "off"
    #: CloudTrail Insights on management events (API call rate and API error rate). Default off; billed per
    #: event analyzed, see README.md.
    insights: bool = False
    #: Names this trail had before a rename, for a rename without a gap: while listed, the archive's bucket and key
    #: policies also allow the trails of these names (their ARNs in ``aws:SourceArn``), so the old trail keeps
    #: delivering until CloudFormation has created the new one and deleted it. Remove them after the deploy that
    #: renamed the trail (README.md, "Changing a deployment"). Default: none.
    previous_names: tuple[TrailName, ...] = ()


class CloudWatchLogs(StrictModel):
    """CloudTrail delivery to a CloudWatch Logs log group in each trail's account and home region, with the
    CIS AWS Foundations monitoring metric filters and alarms (Security Hub CloudWatch.1 to .14) and one for
    destructive Elastic Beanstalk calls, all alarming to the alert topic. Off by default."""

    enabled: bool = False
    #: Days CloudWatch Logs keeps the events (one of the values CloudWatch Logs accepts). Default 365, the
    #: minimum Security Hub CloudWatch.16 accepts.
    retention_days: int = 365


class BeanstalkEvents(StrictModel):
    """Elastic Beanstalk service events (not API calls) into the archive: an EventBridge rule in each trail's
    account and home region delivers them through Amazon Data Firehose to ``beanstalk-events/`` in the log
    bucket, and Athena gets a second table. Off by default."""

    enabled: bool = False
    #: EventBridge ``detail-type`` values to archive. Default: all four that Elastic Beanstalk sends.
    detail_types: tuple[BeanstalkDetailType, ...] = Field(
        default=(
            "Elastic Beanstalk resource status change",
            "Other resource status change",
            "Health status change",
            "Managed update status change",
        ),
        min_length=1,
    )
    #: Seconds Firehose buffers events before it writes a file (60 to 900). Default 300.
    buffer_seconds: int = Field(default=300, ge=60, le=900)


class Guardrails(StrictModel):
    """A service control policy, created in the management account and attached to ``targets``, that denies
    stopping, changing or deleting the trail, and deleting or re-policying the log bucket and key, to every
    principal of the member accounts but the roles matching ``exempt_roles``. Off unless configured."""

    #: The organization root ID (``r-...``) or OU IDs (``ou-...``) the policy is attached to.
    targets: tuple[GuardrailTarget, ...] = Field(min_length=1)
    #: Roles still allowed to do all of that (``aws:PrincipalArn`` ``ArnLike`` patterns). They must include the
    #: role that deploys the log-archive stack (see :func:`ebtrail.config.guardrails.archive_deployment_role_arn`).
    exempt_roles: tuple[RolePattern, ...] = Field(min_length=1)
    #: The CDK bootstrap qualifier of the archive account, which names its deployment roles. Default
    #: ``hnb659fds``, the default of ``cdk bootstrap``.
    bootstrap_qualifier: BootstrapQualifier = "hnb659fds"
    #: The account the guardrails stack is deployed to. Default: the management account. Or a member account that
    #: the organization's resource-based delegation policy lets manage service control policies ("Delegated
    #: administrator for AWS Organizations", Organizations User Guide: CreatePolicy, UpdatePolicy, DeletePolicy,
    #: AttachPolicy, DetachPolicy, DescribePolicy ...), as AWS recommends keeping work out of the management account.
    deployment_account: AccountId | None = None


class Organization(StrictModel):
    """``organization`` topology: one organization trail in the management account."""

    id: OrganizationId
    management_account: AccountId
    home_region: Region
    guardrails: Guardrails | None = None


class Alerts(StrictModel):
    """Beanstalk change alerts: an EventBridge rule in each trail's account and home region. On by default."""

    enabled: bool = True
    #: Elastic Beanstalk API actions (CloudTrail ``eventName``) that raise an alert. Default: the seven
    #: destructive or traffic-changing actions listed in README.md.
    actions: tuple[AlertAction, ...] = DEFAULT_ALERT_ACTIONS
    #: E-mail addresses subscribed to each alert topic. Default: none.
    emails: tuple[Email, ...] = ()


class Athena(StrictModel):
    """Athena over the archive: Glue table with partition projection, workgroup, saved queries. On by default."""

    enabled: bool = True
    #: First day of the date partition projection (the first day the trail delivered). Default 2026-01-01.
    projection_start: date = date(2026, 1, 1)
    #: Days query results are kept. Default 30.
    results_expiration_days: Days = 30


class Verifier(StrictModel):
    """Least-privilege IAM for the verifier, in each trail account. On by default."""

    enabled: bool = True
    #: A principal ARN (role or user) allowed to assume a role carrying the verifier policy. Default: no
    #: role, only the managed policy to attach where you like.
    assumed_by: PrincipalArn | None = None


class Canary(StrictModel):
    """The delivery canary in each trail stack: a scheduled Lambda function that proves delivery with the
    verifier's code and alarms to the alert topic. On by default."""

    enabled: bool = True
    #: Minutes between runs (EventBridge Scheduler rate). Default 60; at least 15 (the function's 5-minute
    #: timeout stays well inside the period), at most a day.
    rate_minutes: int = Field(default=60, ge=15, le=1440)
    #: A probe not found in the log files this many minutes after its call counts as not delivered (CloudTrail
    #: delivers in about 5 minutes on average). Default 30; from 15 to 1440.
    max_delivery_minutes: int = Field(default=30, ge=15, le=1440)


class IntegritySweep(StrictModel):
    """The integrity sweep in the archive stack: a Step Functions Distributed Map that checks every digest and log
    file of a digest prefix with the pairwise integrity check, in batches on Lambda. Off unless enabled."""

    enabled: bool = False
    #: Batches checked at once (the map's MaxConcurrency). Default 40; from 1 to 1000.
    max_concurrency: int = Field(default=40, ge=1, le=1000)
    #: Digest keys per batch (the ItemBatcher's MaxItemsPerBatch). Default 100; from 1 to 1000 (a batch of 1,000
    #: digests with 12 log files each is about a minute of the function's 10-minute timeout).
    digests_per_batch: int = Field(default=100, ge=1, le=1000)


class TopologyConfig(StrictModel):
    """One deployment: where the archive lives, which trails write to it, and the tags on everything.

    Abstract: a config is one of the topology types of :data:`ebtrail.config.topologies.DeploymentConfig`, each of
    which declares its ``topology`` name, its own ``trail`` type (and any table only it has) and implements the
    abstract methods below.
    """

    #: The topology's name, the value of the top-level ``topology`` key (each type narrows it to its own).
    topology: str
    #: Prefix of every resource name this deployment creates. Default ``ebtrail``.
    name_prefix: NamePrefix = "ebtrail"
    archive: Archive
    trail: Trail
    alerts: Alerts = Alerts()
    athena: Athena = Athena()
    verifier: Verifier = Verifier()
    canary: Canary = Canary()
    integrity_sweep: IntegritySweep = IntegritySweep()
    cloudwatch_logs: CloudWatchLogs = CloudWatchLogs()
    beanstalk_events: BeanstalkEvents = BeanstalkEvents()
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=40)

    #: What the topology needs, by field path (``[]`` for any list index): the words of the problem reported
    #: when such a field is missing or empty ("the <topology> topology needs <what>").
    needs: ClassVar[Mapping[str, str]] = {}

    @property
    def partition(self) -> str:
        return self.archive.partition

    @abstractmethod
    def trail_targets(self) -> list[TrailTarget]:
        """Every trail that writes to the archive, in config order."""

    @abstractmethod
    def logging_accounts(self) -> list[str]:
        """Accounts whose log files land in the archive, sorted (Athena's account projection needs them)."""

    @property
    @abstractmethod
    def organization_id(self) -> str | None:
        """The organization whose trail writes ``AWSLogs/<o-id>/...``, or None when the trails are per account."""

    @property
    @abstractmethod
    def guardrails(self) -> Guardrails | None:
        """The service control policy to deploy in the organization's management account, if configured."""

    @abstractmethod
    def home_regions(self) -> list[tuple[str, str]]:
        """Each region the config places a trail or organization in, with its field path (partition check)."""

    @property
    @abstractmethod
    def existing_trail(self) -> ExistingTrail | None:
        """The trail ebtrail adopts instead of creating one (and with it no bucket and no key), or None."""

    @abstractmethod
    def topology_problems(self) -> list[Problem]:
        """The rules that tie this topology's fields together (those its type alone cannot state)."""
