"""Deployment configuration: the TOML file under ``config/`` that says where the archive and trail go.

Validation happens in two passes, both before any construct is built:

1. *Structure* (pydantic): types, formats (account IDs, regions, names), allowed values. pydantic reports
   every structural problem at once, each with its field path.
2. *Meaning* (:func:`semantic_problems`): rules that tie fields together, such as lifecycle transitions
   being in order or Object Lock retention fitting inside the expiration. Every rule is checked and every
   problem is reported at once, each with its field path. The archive's lifecycle and retention rules are
   also checked when another part of the config failed the first pass; the topology rules need the whole
   structure and wait for it.

Either pass raises :class:`ConfigError`, whose message lists the problems; ``app.py`` prints it and exits
non-zero without a traceback.
"""

from __future__ import annotations

import fnmatch
import re
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import boto3
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS

# ---------------------------------------------------------------------------------------------------------
# Field formats
# ---------------------------------------------------------------------------------------------------------


@cache
def known_regions() -> dict[str, str]:
    """Every region botocore's endpoint data knows for CloudTrail, mapped to its partition (``aws``, ...)."""
    session = boto3.session.Session()
    return {
        region: partition
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("cloudtrail", partition_name=partition)
    }


def _check_region(value: str) -> str:
    if value not in known_regions():
        raise ValueError(
            f"unknown region {value!r}; allowed: a region where CloudTrail runs, such as us-east-1 or eu-west-1"
        )
    return value


_TRAIL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-])){1,126}[A-Za-z0-9]$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


def _check_trail_name(value: str) -> str:
    if not _TRAIL_NAME.match(value):
        raise ValueError(
            "allowed: 3 to 128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit, "
            "with no two of '.', '_', '-' next to each other (CloudTrail's trail-name rule)"
        )
    return value


def _check_key_prefix(value: str) -> str:
    problems = []
    if value.startswith("AWSLogs/") or value == "AWSLogs":
        problems.append("must not start with 'AWSLogs/' (CloudTrail adds AWSLogs/ itself)")
    if len(value) > 200:
        problems.append("at most 200 characters (CloudTrail's S3KeyPrefix limit)")
    if not _KEY_PREFIX.match(value):
        problems.append(
            "allowed: path segments of letters, digits and !_.*'()- separated by single '/', no leading or trailing '/'"
        )
    if problems:
        raise ValueError("; ".join(problems))
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("allowed: an e-mail address such as platform-team@example.com")
    return value


def _check_principal_arn(value: str) -> str:
    if not _PRINCIPAL_ARN.match(value):
        raise ValueError("allowed: an IAM role or user ARN, arn:aws:iam::<12 digits>:role/<name> or :user/<name>")
    return value


def _check_tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128 or value.lower().startswith("aws:"):
        raise ValueError("allowed: 1 to 128 characters, not starting with 'aws:'")
    return value


def _matching(pattern: str, allowed: str) -> AfterValidator:
    """A validator whose error says what is allowed, not which regular expression failed."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"allowed: {allowed}; got {value!r}")
        return value

    return AfterValidator(check)


AccountId = Annotated[
    str, _matching(r"\d{12}", 'a 12-digit AWS account ID written as a string, such as "111111111111"')
]
OrganizationId = Annotated[str, _matching(r"o-[a-z0-9]{10,32}", "o- followed by 10 to 32 lowercase letters or digits")]
#: Prefixes S3 reserves for bucket names; every bucket name ebtrail derives starts with ``name_prefix``
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). The reserved suffixes
#: (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) cannot occur: every derived bucket name ends with its region.
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")


def _check_name_prefix(value: str) -> str:
    if not _NAME_PREFIX.fullmatch(value):
        raise ValueError(f"allowed: 3 to 20 lowercase letters, digits or '-', starting with a letter; got {value!r}")
    reserved = next((r for r in S3_RESERVED_PREFIXES if value.startswith(r)), None)
    if reserved:
        raise ValueError(
            f"allowed: a prefix that does not start with {reserved!r}, which S3 reserves (bucket names start with "
            f"the prefix; reserved: {', '.join(S3_RESERVED_PREFIXES)}); got {value!r}"
        )
    return value


NamePrefix = Annotated[str, AfterValidator(_check_name_prefix)]
Region = Annotated[str, AfterValidator(_check_region)]
TrailName = Annotated[str, AfterValidator(_check_trail_name)]
KeyPrefix = Annotated[str, AfterValidator(_check_key_prefix)]
Email = Annotated[str, AfterValidator(_check_email)]
PrincipalArn = Annotated[str, AfterValidator(_check_principal_arn)]
TagKey = Annotated[str, AfterValidator(_check_tag_key)]
TagValue = Annotated[str, Field(max_length=256)]
Days = Annotated[int, Field(ge=1, le=36500)]

StorageClass = Literal["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]

#: S3's lifecycle waterfall: an object can only move down this list.
STORAGE_CLASS_ORDER: tuple[StorageClass, ...] = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
#: Days an object must be at least this old before S3 moves it to the class (S3 lifecycle constraint).
MIN_TRANSITION_AGE: dict[StorageClass, int] = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
#: Minimum storage duration S3 bills for; leaving a class earlier costs an early-deletion charge.
MIN_STORAGE_DAYS: dict[StorageClass, int] = {
    "STANDARD_IA": 30,
    "ONEZONE_IA": 30,
    "GLACIER_IR": 90,
    "GLACIER": 90,
    "DEEP_ARCHIVE": 180,
}


class _Strict(BaseModel):
    """Unknown keys are an error: a typo in a config file must not be silently ignored. Types are strict:
    ``"2557"`` is not a number and ``"off"`` or ``0`` not a boolean (pydantic's strict mode), because a value a
    config's author wrote in the wrong type is a value they may not have meant."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ---------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------


class Transition(_Strict):
    """Move current log files to ``storage_class`` once they are ``days`` old (S3 lifecycle Transition)."""

    storage_class: StorageClass
    days: Days


class Lifecycle(_Strict):
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


class ObjectLock(_Strict):
    """Default Object Lock retention on the log bucket (WORM). Off unless configured."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: Days


class AccessLogs(_Strict):
    """The server-access-log bucket. Default: access logs kept 365 days."""

    retention_days: Days = 365


class Archive(_Strict):
    """The log-archive side: bucket, access-log bucket and KMS key, in one account and region."""

    account: AccountId
    region: Region
    #: Optional prefix in front of ``AWSLogs/``. Default: none.
    key_prefix: KeyPrefix | None = None
    lifecycle: Lifecycle = Lifecycle()
    access_logs: AccessLogs = AccessLogs()
    object_lock: ObjectLock | None = None
    #: Role or user ARNs, of any account, allowed to decrypt log files (besides IAM principals of the
    #: archive account that an IAM policy allows). Default: none.
    log_readers: tuple[PrincipalArn, ...] = ()


class Member(_Strict):
    """A member account with its own trail (``accounts`` topology), or an organization member account
    whose logs are expected in the archive (``organization`` topology; informational)."""

    account: AccountId
    home_region: Region | None = None


class Trail(_Strict):
    """The CloudTrail trail(s). Multi-region, global service events and log-file validation are always on."""

    name: TrailName = "ebtrail-audit"
    #: ``single-account`` topology: the trail's account (the archive account) and home region.
    account: AccountId | None = None
    home_region: Region | None = None
    #: ``accounts`` topology: one trail per member, in its account and home region.
    members: tuple[Member, ...] = ()
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


class CloudWatchLogs(_Strict):
    """CloudTrail delivery to a CloudWatch Logs log group in each trail's account and home region, with the
    CIS AWS Foundations monitoring metric filters and alarms (Security Hub CloudWatch.1 to .14) and one for
    destructive Elastic Beanstalk calls, all alarming to the alert topic. Off by default."""

    enabled: bool = False
    #: Days CloudWatch Logs keeps the events (one of the values CloudWatch Logs accepts). Default 365, the
    #: minimum Security Hub CloudWatch.16 accepts.
    retention_days: int = 365


#: The retention periods CloudWatch Logs accepts (PutRetentionPolicy, ``retentionInDays``).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


BeanstalkDetailType = Literal[
    "Elastic Beanstalk resource status change",
    "Other resource status change",
    "Health status change",
    "Managed update status change",
]


class BeanstalkEvents(_Strict):
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


GuardrailTarget = Annotated[
    str,
    _matching(
        r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}",
        "the organization root ID (r-...) or an OU ID (ou-...-...)",
    ),
]
RolePattern = Annotated[
    str,
    _matching(
        r"arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*?-]+",
        "an IAM role ARN, arn:aws:iam::<12 digits>:role/<name>, where * and ? match as in IAM's ArnLike",
    ),
]
BootstrapQualifier = Annotated[str, _matching(r"[a-z0-9]{1,10}", "1 to 10 lowercase letters or digits")]


class Guardrails(_Strict):
    """A service control policy, created in the management account and attached to ``targets``, that denies
    stopping, changing or deleting the trail, and deleting or re-policying the log bucket and key, to every
    principal of the member accounts but the roles matching ``exempt_roles``. Off unless configured."""

    #: The organization root ID (``r-...``) or OU IDs (``ou-...``) the policy is attached to.
    targets: tuple[GuardrailTarget, ...] = Field(min_length=1)
    #: Roles still allowed to do all of that (``aws:PrincipalArn`` ``ArnLike`` patterns). They must include the
    #: role that deploys the log-archive stack (see :func:`archive_deployment_role_arn`).
    exempt_roles: tuple[RolePattern, ...] = Field(min_length=1)
    #: The CDK bootstrap qualifier of the archive account, which names its deployment roles. Default
    #: ``hnb659fds``, the default of ``cdk bootstrap``.
    bootstrap_qualifier: BootstrapQualifier = "hnb659fds"


class Organization(_Strict):
    """``organization`` topology: one organization trail in the management account."""

    id: OrganizationId
    management_account: AccountId
    home_region: Region
    guardrails: Guardrails | None = None


class Alerts(_Strict):
    """Beanstalk change alerts: an EventBridge rule in each trail's account and home region. On by default."""

    enabled: bool = True
    #: Elastic Beanstalk API actions (CloudTrail ``eventName``) that raise an alert. Default: the seven
    #: destructive or traffic-changing actions listed in README.md.
    actions: tuple[
        Annotated[str, _matching(r"[A-Z][A-Za-z]{2,63}", "an Elastic Beanstalk API action such as UpdateEnvironment")],
        ...,
    ] = DEFAULT_ALERT_ACTIONS
    #: E-mail addresses subscribed to each alert topic. Default: none.
    emails: tuple[Email, ...] = ()


class Athena(_Strict):
    """Athena over the archive: Glue table with partition projection, workgroup, saved queries. On by default."""

    enabled: bool = True
    #: First day of the date partition projection (the first day the trail delivered). Default 2026-01-01.
    projection_start: date = date(2026, 1, 1)
    #: Days query results are kept. Default 30.
    results_expiration_days: Days = 30


class Verifier(_Strict):
    """Least-privilege IAM for the verifier, in each trail account. On by default."""

    enabled: bool = True
    #: A principal ARN (role or user) allowed to assume a role carrying the verifier policy. Default: no
    #: role, only the managed policy to attach where you like.
    assumed_by: PrincipalArn | None = None


class Canary(_Strict):
    """The delivery canary in each trail stack: a scheduled Lambda function that proves delivery with the
    verifier's code and alarms to the alert topic. On by default."""

    enabled: bool = True
    #: Minutes between runs (EventBridge Scheduler rate). Default 60; at least 15 (the function's 5-minute
    #: timeout stays well inside the period), at most a day.
    rate_minutes: Annotated[int, Field(ge=15, le=1440)] = 60
    #: A probe not found in the log files this many minutes after its call counts as not delivered (CloudTrail
    #: delivers in about 5 minutes on average). Default 30; from 15 to 1440.
    max_delivery_minutes: Annotated[int, Field(ge=15, le=1440)] = 30


class DeploymentConfig(_Strict):
    """One deployment: where the archive lives, which trails write to it, and the tags on everything."""

    #: Prefix of every resource name this deployment creates. Default ``ebtrail``.
    name_prefix: NamePrefix = "ebtrail"
    #: ``single-account`` (default): archive and trail in one account. ``accounts``: a central archive and
    #: one trail per member account. ``organization``: a central archive and one organization trail.
    topology: Literal["single-account", "accounts", "organization"] = "single-account"
    archive: Archive
    trail: Trail
    organization: Organization | None = None
    alerts: Alerts = Alerts()
    athena: Athena = Athena()
    verifier: Verifier = Verifier()
    canary: Canary = Canary()
    cloudwatch_logs: CloudWatchLogs = CloudWatchLogs()
    beanstalk_events: BeanstalkEvents = BeanstalkEvents()
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=40)

    @property
    def partition(self) -> str:
        return known_regions()[self.archive.region]


# ---------------------------------------------------------------------------------------------------------
# Rules that tie fields together
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: where (dotted field path) and what is allowed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


#: At most this many problems are printed; a count of the others follows (a 10 MB file of unknown keys would
#: otherwise print 10 MB).
MAX_PROBLEMS_SHOWN = 50
FILE = "(file)"


class ConfigError(Exception):
    """A config file that must not be deployed; ``problems`` lists every reason (the message shows the first
    :data:`MAX_PROBLEMS_SHOWN` and counts the rest). A file that cannot be read as TOML is one line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        if len(problems) == 1 and problems[0].path == FILE:
            super().__init__(f"{source}: {problems[0].message}")
            return
        shown = problems[:MAX_PROBLEMS_SHOWN]
        lines = [f"  - {p}" for p in shown]
        if len(problems) > len(shown):
            lines.append(f"  ... and {len(problems) - len(shown):,} more (the first {len(shown)} are shown)")
        joined = "\n".join(lines)
        super().__init__(f"{source}: {len(problems):,} problem(s) in the deployment config:\n{joined}")


def _lifecycle_problems(lifecycle: Lifecycle, path: str) -> list[Problem]:
    problems: list[Problem] = []
    transitions = lifecycle.transitions
    for index, transition in enumerate(transitions):
        here = f"{path}.transitions[{index}]"
        minimum_age = MIN_TRANSITION_AGE.get(transition.storage_class)
        if minimum_age and transition.days < minimum_age:
            problems.append(
                Problem(
                    f"{here}.days",
                    f"{transition.storage_class} needs at least {minimum_age} days (S3 lifecycle minimum); "
                    f"got {transition.days}",
                )
            )
        if index == 0:
            continue
        previous = transitions[index - 1]
        if STORAGE_CLASS_ORDER.index(transition.storage_class) <= STORAGE_CLASS_ORDER.index(previous.storage_class):
            allowed = ", ".join(STORAGE_CLASS_ORDER[STORAGE_CLASS_ORDER.index(previous.storage_class) + 1 :])
            problems.append(
                Problem(
                    f"{here}.storage_class",
                    f"S3 moves objects only down the waterfall; after {previous.storage_class} allowed: "
                    f"{allowed or 'nothing'}",
                )
            )
        if transition.days <= previous.days:
            problems.append(
                Problem(
                    f"{here}.days",
                    f"transitions must be in increasing days; {transition.days} is not after "
                    f"{previous.days} ({previous.storage_class})",
                )
            )
        elif previous.storage_class in MIN_TRANSITION_AGE and transition.days - previous.days < 30:
            # A hard S3 rule, not a billing matter: accept_early_deletion_charge does not lift it.
            problems.append(
                Problem(
                    f"{here}.days",
                    f"objects must stay 30 days in {previous.storage_class} before S3 moves them on; "
                    f"allowed: at least {previous.days + 30}",
                )
            )
        elif early := _early_exit(previous, transition.days, lifecycle):
            problems.append(Problem(f"{here}.days", early))
    expiration = lifecycle.expiration_days
    if expiration is not None and transitions:
        last = transitions[-1]
        if expiration <= last.days:
            problems.append(
                Problem(
                    f"{path}.expiration_days",
                    f"must be after the last transition ({last.storage_class} at {last.days} days); got {expiration}",
                )
            )
        elif early := _early_exit(last, expiration, lifecycle):
            problems.append(Problem(f"{path}.expiration_days", early))
    return problems


def _early_exit(transition: Transition, leaves_at: int, lifecycle: Lifecycle) -> str | None:
    """A message if objects leave ``transition``'s class before S3's minimum storage duration."""
    minimum = MIN_STORAGE_DAYS.get(transition.storage_class)
    if minimum is None or leaves_at - transition.days >= minimum or lifecycle.accept_early_deletion_charge:
        return None
    return (
        f"objects leave {transition.storage_class} after {leaves_at - transition.days} days, before its "
        f"{minimum}-day minimum storage duration; allowed: at least {transition.days + minimum}, or set "
        "accept_early_deletion_charge = true"
    )


def _retention_problems(lifecycle: Lifecycle, object_lock: ObjectLock | None) -> list[Problem]:
    expiration = lifecycle.expiration_days
    if object_lock is None or expiration is None or object_lock.days <= expiration:
        return []
    return [
        Problem(
            "archive.object_lock.days",
            f"retention ({object_lock.days} days) must not be longer than "
            f"archive.lifecycle.expiration_days ({expiration})",
        )
    ]


def semantic_problems(config: DeploymentConfig) -> list[Problem]:
    """Every rule that ties fields together, each problem with its field path."""
    archive, trail = config.archive, config.trail
    problems = _lifecycle_problems(archive.lifecycle, "archive.lifecycle")
    problems += _retention_problems(archive.lifecycle, archive.object_lock)
    problems += _topology_problems(config)
    problems += _management_event_problems(trail)
    problems += _feature_problems(config)
    if config.canary.enabled and not config.alerts.enabled:
        problems.append(
            Problem(
                "canary.enabled",
                "the canary's alarms publish to the alert topic, which alerts.enabled = false removes; allowed: "
                "alerts.enabled = true, or canary.enabled = false",
            )
        )
    regions = [("trail.home_region", trail.home_region)]
    regions += [(f"trail.members[{i}].home_region", m.home_region) for i, m in enumerate(trail.members)]
    if config.organization:
        regions.append(("organization.home_region", config.organization.home_region))
    for path, region in regions:
        if region is not None and known_regions()[region] != config.partition:
            problems.append(Problem(path, f"must be in the archive's partition ({config.partition}); got {region}"))
    return problems


def _management_event_problems(trail: Trail) -> list[Problem]:
    """A ReadOnly trail records no Elastic Beanstalk change (every Create/Update/Terminate/Delete call is a write
    event), which is what ebtrail is for: refused unless acknowledged in so many words."""
    if trail.management_events == "ReadOnly" and not trail.acknowledge_no_beanstalk_writes:
        return [
            Problem(
                "trail.management_events",
                "'ReadOnly' records no Elastic Beanstalk change (CreateEnvironment, UpdateEnvironment, "
                "TerminateEnvironment ... are write events), so the alerts never fire and the verifier reports "
                "misconfiguration; allowed: 'All' or 'WriteOnly', or add trail.acknowledge_no_beanstalk_writes = "
                "true to record reads only on purpose; got 'ReadOnly'",
            )
        ]
    if trail.acknowledge_no_beanstalk_writes and trail.management_events != "ReadOnly":
        return [
            Problem(
                "trail.acknowledge_no_beanstalk_writes",
                f"only used with trail.management_events = 'ReadOnly' (it is {trail.management_events!r}); remove it",
            )
        ]
    return []


def _feature_problems(config: DeploymentConfig) -> list[Problem]:
    """Optional features that need another part of the config."""
    problems: list[Problem] = []
    logs = config.cloudwatch_logs
    if logs.retention_days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
        problems.append(
            Problem(
                "cloudwatch_logs.retention_days", f"allowed: {allowed} (CloudWatch Logs); got {logs.retention_days}"
            )
        )
    problems += _guardrail_problems(config)
    if config.beanstalk_events.enabled and len(config.trail.name) > 64 - len("-beanstalk-events"):
        problems.append(
            Problem(
                "trail.name",
                "with beanstalk_events.enabled the Firehose stream and EventBridge rule are named "
                "<trail name>-beanstalk-events, at most 64 characters; allowed: a trail name of at most 47 characters",
            )
        )
    if config.trail.insights and config.trail.management_events == "ReadOnly":
        problems.append(
            Problem(
                "trail.insights",
                "the API call rate Insights type analyzes write management events; allowed only with "
                'trail.management_events = "All" or "WriteOnly"',
            )
        )
    if logs.enabled and not config.alerts.enabled:
        problems.append(
            Problem(
                "cloudwatch_logs.enabled",
                "the CIS alarms publish to the Beanstalk alert topic; allowed only with alerts.enabled = true",
            )
        )
    return problems


def archive_deployment_role_arn(config: DeploymentConfig, qualifier: str) -> str:
    """The role CloudFormation acts as when it deploys the log-archive stack: the CDK bootstrap's CloudFormation
    execution role of the archive account and region (``cdk-<qualifier>-cfn-exec-role-<account>-<region>``).
    It is the principal that calls ``PutBucketPolicy`` and ``PutKeyPolicy`` on the log bucket and key."""
    archive = config.archive
    name = f"cdk-{qualifier}-cfn-exec-role-{archive.account}-{archive.region}"
    return f"arn:{config.partition}:iam::{archive.account}:role/{name}"


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ``ArnLike``: each of the six colon-separated parts matched on its own, ``*`` and ``?`` as wildcards
    ("IAM JSON policy elements: Condition operators", IAM User Guide)."""
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(
        fnmatch.fnmatchcase(part, wanted.replace("[", "[[]"))
        for wanted, part in zip(pattern_parts, arn_parts, strict=True)
    )


def _guardrail_problems(config: DeploymentConfig) -> list[Problem]:
    """A guardrail that would lock out the deployment role, or that could protect nothing.

    *Locking out the deployment role* means: the service control policy denies ``s3:PutBucketPolicy``,
    ``kms:PutKeyPolicy`` (and deleting bucket and key) to every principal of the archive account except the
    exempt roles. CloudFormation changes the bucket and key policies as the archive account's CDK execution
    role (:func:`archive_deployment_role_arn`). If no exempt pattern matches that role, every later
    ``cdk deploy`` that touches those policies (a new member account, a new reader, a new feature) fails with
    AccessDenied, and nothing in the archive account can repair it: only detaching the policy in the management
    account would. So such a guardrail is refused before anything is deployed.
    """
    organization = config.organization
    if organization is None or organization.guardrails is None:
        return []
    guardrails, path = organization.guardrails, "organization.guardrails"
    problems: list[Problem] = []
    if config.archive.account == organization.management_account:
        problems.append(
            Problem(
                f"{path}",
                "service control policies never restrict the management account, where this archive is; "
                "allowed only with the archive in a member account",
            )
        )
    role = archive_deployment_role_arn(config, guardrails.bootstrap_qualifier)
    if not any(arn_like(pattern, role) for pattern in guardrails.exempt_roles):
        problems.append(
            Problem(
                f"{path}.exempt_roles",
                f"none matches {role}, the role CloudFormation uses to deploy the log-archive stack; the policy "
                "would deny it PutBucketPolicy and PutKeyPolicy and lock every later deploy out of the archive. "
                "Add it (or a pattern that matches it), or set bootstrap_qualifier to the archive account's",
            )
        )
    return problems


def _topology_problems(config: DeploymentConfig) -> list[Problem]:
    """Which fields each topology needs, and which it must not have."""
    archive, trail, organization = config.archive, config.trail, config.organization
    problems: list[Problem] = []
    topology = config.topology

    def refuse(path: str, present: object) -> None:
        if present:
            problems.append(Problem(path, f"not used by the {topology} topology; remove it"))

    def require(path: str, present: object, what: str) -> None:
        if not present:
            problems.append(Problem(path, f"the {topology} topology needs {what}"))

    if topology == "single-account":
        require("trail.account", trail.account, f"the trail's account (the archive account, {archive.account})")
        require("trail.home_region", trail.home_region, "the trail's home region, such as us-east-1")
        if trail.account and trail.account != archive.account:
            problems.append(
                Problem(
                    "trail.account",
                    f"the single-account topology puts trail and archive in one account; allowed: {archive.account}",
                )
            )
        refuse("trail.members", trail.members)
        refuse("organization", organization)
    elif topology == "accounts":
        require("trail.members", trail.members, "at least one [[trail.members]] entry (account, home_region)")
        refuse("trail.account", trail.account)
        refuse("trail.home_region", trail.home_region)
        refuse("organization", organization)
        for index, member in enumerate(trail.members):
            require(f"trail.members[{index}].home_region", member.home_region, "each member's home region")
    else:
        require("organization", organization, "an [organization] table (id, management_account, home_region)")
        refuse("trail.account", trail.account)
        refuse("trail.home_region", trail.home_region)
        for index, member in enumerate(trail.members):
            if organization and member.account == organization.management_account:
                problems.append(
                    Problem(
                        f"trail.members[{index}].account",
                        f"{member.account} is the organization's management account, not a member; remove it",
                    )
                )
    seen: dict[str, int] = {}
    for index, member in enumerate(trail.members):
        if member.account in seen:
            problems.append(
                Problem(
                    f"trail.members[{index}].account",
                    f"duplicate account {member.account} (also trail.members[{seen[member.account]}])",
                )
            )
        seen.setdefault(member.account, index)
    return problems


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


#: What a field of the wrong type allows, in TOML's words (strict mode names Python types).
_ALLOWED_TYPE = {
    "int_type": "a whole number, without quotes",
    "bool_type": "true or false, without quotes",
    "string_type": "a string in quotes",
    "date_type": "a TOML date such as 2026-01-01, without quotes",
    "tuple_type": "a list in square brackets",
    "dict_type": "a table",
    "model_type": "a table",
}


def _shown(value: object, *, with_type: bool = False) -> str:
    """A value as the config's author wrote it in TOML (``true``, ``'2557'``), and with ``with_type`` its TOML type."""
    if isinstance(value, tuple | list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        text, kind = str(value).lower(), "a boolean"
    elif isinstance(value, str):
        text, kind = repr(value), "a string"
    elif isinstance(value, int):
        text, kind = str(value), "a whole number"
    elif isinstance(value, float):
        text, kind = repr(value), "a decimal number"
    else:
        text, kind = str(value), f"a {type(value).__name__}"
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} ({kind})" if with_type else text


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in item["loc"])
        path = path.replace(".[", "[") or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        kind = item["type"]
        context = item.get("ctx") or {}
        if kind == "extra_forbidden":
            message = "unknown field; check the spelling against the config reference in README.md"
        elif kind == "missing":
            message = "required field is missing"
        elif kind in _ALLOWED_TYPE:
            message = f"allowed: {_ALLOWED_TYPE[kind]}; got {_shown(item['input'], with_type=True)}"
        elif kind == "literal_error":
            message = f"allowed: {context.get('expected')}; got {_shown(item['input'])}"
        elif kind in ("greater_than_equal", "less_than_equal"):
            bound = "at least" if kind == "greater_than_equal" else "at most"
            limit = context.get("ge", context.get("le"))
            message = f"allowed: {bound} {limit}; got {_shown(item['input'])}"
        elif kind in ("too_long", "string_too_long"):
            message = f"allowed: {message.removeprefix('Value should have ').removeprefix('String should have ')}"
            message = message.split(" after validation")[0]
        elif "got " not in message:
            message = f"{message}; got {_shown(item['input'])}"
        problems.append(Problem(path, message))
    return problems


def _as_toml_values(data: object) -> object:
    """TOML arrays arrive as lists; the model's lists are tuples (frozen), and strict mode takes tuples only."""
    if isinstance(data, list):
        return tuple(_as_toml_values(item) for item in data)
    if isinstance(data, dict):
        return {key: _as_toml_values(value) for key, value in data.items()}
    return data


def _archive_problems_despite(data: object) -> list[Problem]:
    """The archive's lifecycle and retention rules, checked even when another part of the config failed its
    structural checks, as long as the archive's lifecycle (and Object Lock) sections are themselves valid:
    these are the rules a user is most likely to get wrong together with a typo elsewhere."""
    try:
        archive = data["archive"]  # type: ignore[index]
        lifecycle = Lifecycle.model_validate(archive.get("lifecycle", {}))
        lock = archive.get("object_lock")
        object_lock = ObjectLock.model_validate(lock) if lock is not None else None
    except (TypeError, KeyError, AttributeError, ValidationError):
        return []
    return _lifecycle_problems(lifecycle, "archive.lifecycle") + _retention_problems(lifecycle, object_lock)


def parse_config(data: object, source: str = "config") -> DeploymentConfig:
    """Validate already-parsed data; raise :class:`ConfigError` listing every problem."""
    data = _as_toml_values(data)
    try:
        config = DeploymentConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, _pydantic_problems(error) + _archive_problems_despite(data)) from None
    problems = semantic_problems(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def load_config(path: str | Path) -> DeploymentConfig:
    """Read and validate a TOML deployment config. A path that is not a readable UTF-8 TOML file (a directory, a
    binary or Latin-1 file, no permission) is one problem on one line."""
    path = Path(path)

    def refuse(message: str) -> ConfigError:
        return ConfigError(str(path), [Problem(FILE, message)])

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise refuse("no such file; allowed: a TOML file such as config/default.toml") from None
    except IsADirectoryError:
        raise refuse("a directory; allowed: a TOML file such as config/default.toml") from None
    except UnicodeDecodeError as error:
        raise refuse(
            f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); allowed: a TOML file, "
            "which is UTF-8 (save a Latin-1 file as UTF-8)"
        ) from None
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror or error}); allowed: a readable TOML file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        first_line = str(error).splitlines()[0] if str(error) else "syntax error"
        raise refuse(f"not valid TOML: {first_line}") from None
    return parse_config(data, str(path))


def load_or_exit(path: str | Path) -> DeploymentConfig:
    """:func:`load_config`, or print the problems to stderr and exit with status 2 (no traceback)."""
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
