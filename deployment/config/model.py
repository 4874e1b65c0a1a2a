"""The sections every deployment config has (archive, trail settings, features, tags) and :class:`TopologyConfig`,
the interface each topology's type implements (:mod:`deployment.config.topologies`).

What differs by topology (which trails write to the archive, which accounts log into it, which fields a config
must or must not have) is a method of the topology's type, never a branch on the topology's name: a new topology
is a new type that implements this interface, and tests/config/test_topology_types.py checks that every member of
the union does.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from deployment.config.formats import (
    AccountId,
    AlertAction,
    Allowed,
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
    StrictModel,
    TagKey,
    TagValue,
    TrailName,
)
from deployment.config.problems import Problem
from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from ebtrail.core.lifecycle import DEFAULTS as LIFECYCLE
from ebtrail.core.lifecycle import MIN_DAYS_IN_IA, MIN_TRANSITION_AGE, StorageClass, min_storage_days_text
from ebtrail.core.log_retention import DEFAULT_LOG_RETENTION_DAYS, LOG_RETENTION_DAYS
from ebtrail.core.names import ExistingTrail, TrailTarget
from ebtrail.core.regions import partition_of


class Transition(StrictModel):
    """Move current log files to ``storage_class`` once they are ``days`` old (S3 lifecycle Transition)."""

    storage_class: StorageClass = Field(
        description="The S3 storage class to move the file to; classes in S3's waterfall order, each later than the "
        "one before"
    )
    days: Days = Field(
        description="Age of the file in days when it moves; increasing from one transition to the next. The IA "
        f"classes need at least {min(MIN_TRANSITION_AGE.values())} days, and {MIN_DAYS_IN_IA} days in IA before "
        "the next move"
    )


class Lifecycle(StrictModel):
    """Archive and delete rules for the log bucket.

    The defaults are :data:`ebtrail.core.lifecycle.DEFAULTS` (written there once, with why; the generated config
    reference shows them). Transitions apply to files of 128 KB or more only (S3's ``all_storage_classes_128K``,
    set explicitly on the bucket): most CloudTrail files are a few KB and stay in S3 Standard, which for them is
    cheaper than any archive class (``bench/lifecycle_cost.py``). GLACIER_IR stays readable by Athena, so the saved
    queries' look-back sees every file; DEEP_ARCHIVE is invisible to Athena.
    """

    transitions: tuple[Transition, ...] = Field(
        default=tuple(Transition(storage_class=cls, days=days) for cls, days in LIFECYCLE.transitions),
        description="Storage-class moves of current log files. They apply to log files of 128 KB or more only: "
        "smaller ones, most CloudTrail files, stay in STANDARD, which costs them less (see Lifecycle and cost)",
    )
    expiration_days: Days | None = Field(
        default=LIFECYCLE.expiration_days,
        description="Delete log files this many days after delivery. After the last transition and not before that "
        f"class's minimum storage duration ({min_storage_days_text()})",
    )
    noncurrent_version_expiration_days: Days = Field(
        default=LIFECYCLE.noncurrent_version_expiration_days,
        description="Delete overwritten or deleted versions of log files this many days later",
    )
    abort_incomplete_multipart_upload_days: Days = Field(
        default=LIFECYCLE.abort_incomplete_multipart_upload_days,
        description="Abort unfinished multipart uploads after this many days",
    )
    accept_early_deletion_charge: bool = Field(
        default=False,
        description="Allow leaving a class before its minimum storage duration (S3 bills the remaining days as an "
        "early-deletion charge)",
    )


class ObjectLock(StrictModel):
    """Default Object Lock retention on the log bucket (WORM). Off unless configured."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        description="S3 Object Lock retention mode: COMPLIANCE cannot be shortened by anyone, GOVERNANCE by "
        "principals with s3:BypassGovernanceRetention"
    )
    days: Days = Field(description="Default retention in days; not longer than archive.lifecycle.expiration_days")


class AccessLogs(StrictModel):
    """The server-access-log bucket. Default retention: :data:`ebtrail.core.lifecycle.DEFAULTS`."""

    retention_days: Days = Field(
        default=LIFECYCLE.access_log_retention_days,
        description="Keep S3 server access logs of the log bucket this long",
    )


class Archive(StrictModel):
    """The log-archive side: bucket, access-log bucket and KMS key, in one account and region."""

    account: AccountId = Field(description="Account ID of the log archive (log bucket, access-log bucket, key)")
    region: Region = Field(description="Region of the log archive; the key is always created in the bucket's region")
    key_prefix: KeyPrefix | None = Field(
        default=None, description="S3 key prefix in front of AWSLogs/ (CloudTrail's S3KeyPrefix)"
    )
    #: While listed, the bucket policy still lets the trails write under the old prefixes, until CloudFormation has
    #: updated each trail to the new prefix.
    previous_key_prefixes: tuple[PreviousKeyPrefix, ...] = Field(
        default=(),
        description='Key prefixes the trails wrote under before key_prefix changed ("" for no prefix), for a '
        "change without a gap: the bucket policy still lets the trails write there until each trail is updated. "
        "Remove them after that deploy",
    )
    lifecycle: Lifecycle = Field(default=Lifecycle(), description="Archive and delete rules for the log files")
    access_logs: AccessLogs = Field(default=AccessLogs(), description="The server-access-log bucket of the log bucket")
    object_lock: ObjectLock | None = Field(
        default=None,
        description="Default Object Lock retention on the log bucket (WORM). `make synth` warns: S3 requires "
        "Content-MD5 or another checksum on uploads into a bucket with default retention, and AWS does not "
        "document that CloudTrail sends one, so run `make verify` right after the first deploy",
    )
    log_readers: tuple[PrincipalArn, ...] = Field(
        default=(),
        description="Role or user ARNs, of any account, allowed to read (bucket policy, [prefix/]AWSLogs/*) and "
        "decrypt (key policy) log files, besides IAM principals of the archive account that an IAM policy allows; "
        "each still needs an IAM grant in its own account",
    )

    @property
    def partition(self) -> str:
        return partition_of(self.region)


class Trail(StrictModel):
    """The trail settings every topology shares. Multi-region, global service events and log-file validation are
    always on. Where the trails are (``account``/``home_region`` or ``[[trail.members]]``) belongs to the
    topology's own trail type."""

    name: TrailName = Field(default="ebtrail-audit", description="The trail's name")
    management_events: Literal["All", "ReadOnly", "WriteOnly"] = Field(
        default="All",
        description="Which management events to record; Elastic Beanstalk changes need All or WriteOnly. ReadOnly "
        "records no Beanstalk change (alerts never fire, the verifier reports misconfiguration) and is refused unless "
        "trail.acknowledge_no_beanstalk_writes is true",
    )
    acknowledge_no_beanstalk_writes: bool = Field(
        default=False,
        description="Set to true to deploy a ReadOnly trail on purpose: it records no Elastic Beanstalk change",
    )
    notification_emails: tuple[Email, ...] = Field(
        default=(),
        description="E-mail addresses subscribed to each delivery topic (each must confirm; each address once, "
        "compared ignoring case)",
    )
    beanstalk_data_events: Literal["off", "WriteOnly", "All"] = Field(
        default="off",
        description="S3 data events on the Elastic Beanstalk storage buckets (elasticbeanstalk-<region>-<account>, "
        "which hold application bundles and saved configurations): WriteOnly records who uploaded, replaced or "
        "deleted a bundle, All reads too. Billed per event",
    )
    insights: bool = Field(
        default=False,
        description="CloudTrail Insights (API call rate and API error rate) on management events; needs "
        "management_events All or WriteOnly. Billed per event analyzed",
    )
    #: While listed, the archive's bucket and key policies also allow the trails of these names (their ARNs in
    #: ``aws:SourceArn``), so the old trail keeps delivering until CloudFormation has created the new one and
    #: deleted it.
    previous_names: tuple[TrailName, ...] = Field(
        default=(),
        description="Names this trail had before a rename, for a rename without a gap: the old trail keeps "
        "delivering until CloudFormation has replaced it. Remove them after the deploy that renamed the trail "
        "(see Changing a deployment)",
    )


class CloudWatchLogs(StrictModel):
    """CloudTrail delivery to a CloudWatch Logs log group in each trail's account and home region, with the
    CIS AWS Foundations monitoring metric filters and alarms (Security Hub CloudWatch.1 to .14) and one for
    destructive Elastic Beanstalk calls, all alarming to the alert topic. Off by default."""

    enabled: bool = Field(
        default=False,
        description="Trail delivery to a KMS-encrypted log group /aws/cloudtrail/<trail> with the CIS metric filters "
        "and alarms (Security Hub CloudWatch.1 to .14); needs alerts.enabled",
    )
    #: Checked against CloudWatch Logs' values by :mod:`deployment.config.rules`, with the config's other rules.
    retention_days: Annotated[int, Allowed("one of " + ", ".join(map(str, LOG_RETENTION_DAYS)))] = Field(
        default=DEFAULT_LOG_RETENTION_DAYS,
        description="Days CloudWatch Logs keeps the events (one of the values CloudWatch Logs accepts); the default "
        "is the minimum Security Hub CloudWatch.16 accepts",
    )


class BeanstalkEvents(StrictModel):
    """Elastic Beanstalk service events (not API calls) into the archive: an EventBridge rule in each trail's
    account and home region delivers them through Amazon Data Firehose to ``beanstalk-events/`` in the log
    bucket, and Athena gets a second table. Off by default."""

    enabled: bool = Field(
        default=False,
        description="Elastic Beanstalk service events into the archive through Firehose, with an Athena table and a "
        "timeline query; the trail name must then be at most 47 characters",
    )
    detail_types: tuple[BeanstalkDetailType, ...] = Field(
        default=(
            "Elastic Beanstalk resource status change",
            "Other resource status change",
            "Health status change",
            "Managed update status change",
        ),
        min_length=1,
        description="EventBridge detail-type values to archive; default all four that Elastic Beanstalk sends",
    )
    buffer_seconds: int = Field(
        default=300, ge=60, le=900, description="Seconds Firehose buffers events before it writes a file"
    )


class Guardrails(StrictModel):
    """A service control policy, created in the management account and attached to ``targets``, that denies
    stopping, changing or deleting the trail, and deleting or re-policying the log bucket and key, to every
    principal of the member accounts but the roles matching ``exempt_roles``. Off unless configured."""

    targets: tuple[GuardrailTarget, ...] = Field(
        min_length=1, description="The organization root ID (r-...) or OU IDs (ou-...) the policy is attached to"
    )
    #: The deployment role that must match: :func:`deployment.config.guardrails.archive_deployment_role_arn`.
    exempt_roles: tuple[RolePattern, ...] = Field(
        min_length=1,
        description="Roles still allowed to change the trail, bucket and key (aws:PrincipalArn patterns, * and ? "
        "as in ArnLike); must include the archive account's deployment role, or later deploys fail",
    )
    bootstrap_qualifier: BootstrapQualifier = Field(
        default="hnb659fds",
        description="The CDK bootstrap qualifier of the archive account, which names its deployment roles "
        "(the default of `cdk bootstrap`)",
    )
    #: Delegated administrator: "Delegated administrator for AWS Organizations", Organizations User Guide
    #: (CreatePolicy, UpdatePolicy, DeletePolicy, AttachPolicy, DetachPolicy, DescribePolicy ...).
    deployment_account: AccountId | None = Field(
        default=None,
        description="The account the guardrails stack is deployed to: by default the management account; or a member "
        "account that the organization's resource-based delegation policy lets manage service control policies, as "
        "AWS recommends keeping work out of the management account",
    )


class Organization(StrictModel):
    """``organization`` topology: one organization trail in the management account."""

    id: OrganizationId = Field(description="The organization's ID")
    management_account: AccountId = Field(description="The management account, where the organization trail lives")
    home_region: Region = Field(description="The organization trail's home region")
    guardrails: Guardrails | None = Field(
        default=None,
        description="A service control policy protecting trail, log bucket and log key from the member accounts",
    )


class Alerts(StrictModel):
    """Beanstalk change alerts: an EventBridge rule in each trail's account and home region. On by default."""

    enabled: bool = Field(
        default=True, description="An EventBridge rule on Beanstalk changes and an alert topic in each trail stack"
    )
    actions: tuple[AlertAction, ...] = Field(
        default=DEFAULT_ALERT_ACTIONS,
        description="Elastic Beanstalk API actions (CloudTrail eventName) that raise an alert; default the seven "
        "destructive or traffic-changing ones",
    )
    emails: tuple[Email, ...] = Field(
        default=(),
        description="E-mail addresses subscribed to each alert topic (each address once, compared ignoring case); "
        "cloudwatch_logs.enabled needs at least one (the CIS alarms' subscriber, which counts only once its address "
        "confirms)",
    )


class Athena(StrictModel):
    """Athena over the archive: Glue table with partition projection, workgroup, saved queries. On by default."""

    enabled: bool = Field(default=True, description="Glue table, Athena workgroup and saved queries over the archive")
    projection_start: date = Field(
        default=date(2026, 1, 1),
        description="First day of the date partition projection (the first day the trail delivered)",
    )
    results_expiration_days: Days = Field(
        default=LIFECYCLE.athena_results_expiration_days, description="Days Athena query results are kept"
    )


class Verifier(StrictModel):
    """Least-privilege IAM for the verifier, in each trail account. On by default."""

    enabled: bool = Field(default=True, description="The verifier's managed policy in each trail account")
    assumed_by: PrincipalArn | None = Field(
        default=None,
        description="A principal ARN (role or user) allowed to assume a role <prefix>-beanstalk-verifier carrying the "
        "verifier policy (and, across accounts, bucket and key grants for it); without it, only the managed policy",
    )


class Canary(StrictModel):
    """The delivery canary in each trail stack: a scheduled Lambda function that proves delivery with the
    verifier's code and alarms to the alert topic. On by default."""

    enabled: bool = Field(
        default=True,
        description="The delivery canary in each trail stack; needs alerts.enabled (its alarms publish to the alert "
        "topic)",
    )
    rate_minutes: int = Field(
        default=60,
        ge=15,
        le=1440,
        description="Minutes between canary runs (EventBridge Scheduler rate); at least 15, so the function's "
        "5-minute timeout stays well inside the period",
    )
    max_delivery_minutes: int = Field(
        default=30,
        ge=15,
        le=1440,
        description="A probe not found in the log files this many minutes after its call counts as not delivered "
        "(CloudTrail delivers in about 5 minutes on average)",
    )


class IntegritySweep(StrictModel):
    """The integrity sweep in the archive stack: a Step Functions Distributed Map that checks every digest and log
    file of a digest prefix with the pairwise integrity check, in batches on Lambda. Off unless enabled."""

    enabled: bool = Field(
        default=False,
        description="A Step Functions Distributed Map in the archive stack that checks every digest and log file of "
        "a digest prefix with the pairwise integrity check, in batches on Lambda",
    )
    max_concurrency: int = Field(
        default=40, ge=1, le=1000, description="Batches checked at once (the map's MaxConcurrency)"
    )
    #: A batch of 1,000 digests with 12 log files each is about a minute of the function's 10-minute timeout.
    digests_per_batch: int = Field(
        default=100, ge=1, le=1000, description="Digest keys per batch (the ItemBatcher's MaxItemsPerBatch)"
    )


class TopologyConfig(StrictModel):
    """One deployment: where the archive lives, which trails write to it, and the tags on everything.

    Abstract: a config is one of the topology types of :data:`deployment.config.topologies.DeploymentConfig`, each of
    which declares its ``topology`` name, its own ``trail`` type (and any table only it has) and implements the
    abstract methods below.
    """

    #: The topology's name, the value of the top-level ``topology`` key (each type narrows it to its own).
    topology: str = Field(description="Where archive and trails go (see Topologies)")
    name_prefix: NamePrefix = Field(default="ebtrail", description="Prefix of every resource name")
    archive: Archive = Field(description="The log archive: bucket, access-log bucket and KMS key")
    trail: Trail = Field(description="The trail settings; where the trails are depends on the topology")
    alerts: Alerts = Field(default=Alerts(), description="Beanstalk change alerts in each trail account")
    athena: Athena = Field(default=Athena(), description="Athena over the archive")
    verifier: Verifier = Field(default=Verifier(), description="Least-privilege IAM for ebtrail-verify")
    canary: Canary = Field(default=Canary(), description="The delivery canary: a scheduled proof of delivery")
    integrity_sweep: IntegritySweep = Field(
        default=IntegritySweep(),
        description="The integrity sweep: every log file of the archive checked against its digests",
    )
    cloudwatch_logs: CloudWatchLogs = Field(
        default=CloudWatchLogs(), description="CloudWatch Logs delivery and the CIS alarms"
    )
    beanstalk_events: BeanstalkEvents = Field(
        default=BeanstalkEvents(), description="Elastic Beanstalk service events in the archive"
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, max_length=40, description="Tags on every resource (at most 40)"
    )

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
