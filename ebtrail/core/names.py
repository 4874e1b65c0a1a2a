"""Deterministic names and ARNs of everything ebtrail creates (plain values, no CDK, no config model).

Stacks in different accounts refer to each other's resources through these names, never through a
CloudFormation export or cross-stack reference (those cannot cross accounts). Changing anything here
renames deployed resources: CloudFormation replaces them, and the old, retained ones stay behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ebtrail.core import cloudtrail_layout

#: AWS's length limits for the names derived here (each checked by the property test against its rule):
#: S3 bucket names 3-63 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html);
#: EventBridge rule names 1-64 of [.-_A-Za-z0-9] (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html).
MAX_BUCKET_NAME = 63
MAX_RULE_NAME = 64
#: Lambda function names 1-64 of [a-zA-Z0-9-_] (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html).
MAX_FUNCTION_NAME = 64
#: CloudWatch alarm names 1-255 characters (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
MAX_ALARM_NAME = 255


def fit(name: str, limit: int) -> str:
    """``name`` itself when it fits in ``limit`` characters, else its first characters and 8 hex digits of its
    SHA-256: still deterministic (other stacks can derive it) and still unique."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('.-_')}-{digest}"


def topic_base(trail_name: str) -> str:
    """The trail name as SNS topic names allow it: CloudTrail allows '.' in trail names, SNS topic names and KMS
    alias names do not (letters, digits, '_' and '-' only), so each '.' becomes '-'
    (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html,
    https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html)."""
    return trail_name.replace(".", "-")


def alarm_name_prefix(trail_name: str) -> str:
    """What every CloudWatch alarm of a trail stack is named with first: ``<trail name>-``, the trail name as it is
    (CloudWatch allows '.' in alarm names, and a trail name has at most 128 of the 255 characters).

    The alert topic's policy lets alarms publish by this prefix (:func:`alarm_arn_pattern`), so an alarm named any
    other way could not notify anyone: every alarm name comes from :func:`alarm_name`.
    """
    return f"{trail_name}-"


def alarm_name(trail_name: str, suffix: str) -> str:
    """The alarm ``<trail name>-<suffix>`` (shortened with a hash past 255 characters, never into the prefix)."""
    return fit(f"{alarm_name_prefix(trail_name)}{suffix}", MAX_ALARM_NAME)


def alarm_arn_pattern(partition: str, region: str, account: str, trail_name: str) -> str:
    """The ``ArnLike`` pattern of ``aws:SourceArn`` that matches every :func:`alarm_name` of this trail
    (:func:`alarms_arn_pattern` of :func:`alarm_name_prefix`)."""
    return alarms_arn_pattern(partition, region, account, alarm_name_prefix(trail_name))


def alarms_arn_pattern(partition: str, region: str, account: str, prefix: str) -> str:
    """``ArnLike`` pattern of the alarms named ``<prefix>*``: the alarm ARN is
    ``arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`` ("Actions, resources, and condition keys for
    Amazon CloudWatch", Service Authorization Reference), which CloudWatch sends as ``aws:SourceArn`` when the alarm
    publishes. Trail names have no ``*`` or ``?``, so a prefix made of one matches itself only."""
    return f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{prefix}*"


def any_key_arn(partition: str, region: str, account: str) -> str:
    """``arn:<partition>:kms:<region>:<account>:key/*``: every KMS key of one account and region. A policy in
    another stack or account cannot name the log key by its ID (known only once the archive is deployed), and an
    alias in ``Resource`` names the alias, not its key ("Use aliases to control access to KMS keys", AWS KMS
    Developer Guide, https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html), so it grants
    on this pattern and pins the key to its alias with ``kms:ResourceAliases``."""
    return f"arn:{partition}:kms:{region}:{account}:key/*"


#: The verifier's managed policy and role are named ``<prefix>-beanstalk-verifier`` in each trail account.
VERIFIER_NAME_SUFFIX = "-beanstalk-verifier"


@dataclass(frozen=True)
class TrailTarget:
    """One trail that writes to the archive: its account, home region and name.

    ``organization_id`` is set for an organization trail (created in the management account ``account``).
    ``previous_names`` are names the trail had before a rename: while they are listed, the archive's bucket and key
    policies still allow those trails to deliver (:attr:`delivering_arns`), so the old trail, which runs until
    CloudFormation has created the new one, is never denied.
    """

    account: str
    home_region: str
    name: str
    partition: str
    organization_id: str | None = None
    previous_names: tuple[str, ...] = ()

    @property
    def log_paths(self) -> list[str]:
        """Key paths (below the prefix) the trail writes to (:func:`cloudtrail_layout.trail_write_paths`)."""
        return cloudtrail_layout.trail_write_paths(self.account, self.organization_id)

    @property
    def arn(self) -> str:
        """The trail ARN CloudTrail puts in ``aws:SourceArn`` and the encryption context."""
        return self.arn_of(self.name)

    def arn_of(self, name: str) -> str:
        """The ARN of a trail named ``name`` in this trail's account and home region."""
        return f"arn:{self.partition}:cloudtrail:{self.home_region}:{self.account}:trail/{name}"

    @property
    def delivering_arns(self) -> list[str]:
        """The trail's ARN, then the ARNs of its previous names: every trail the archive lets deliver for it."""
        return [self.arn, *(self.arn_of(name) for name in self.previous_names if name != self.name)]

    @property
    def delivery_topic_name(self) -> str:
        return f"{topic_base(self.name)}-delivery"

    @property
    def verifier_read_path(self) -> str:
        """Where the verifier, running in this trail's account, finds its own records (below the prefix)."""
        return cloudtrail_layout.account_folder("", self.account, self.organization_id)

    def verifier_role_arn(self, prefix: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{prefix}{VERIFIER_NAME_SUFFIX}"

    def canary_role_arn(self, prefix: str) -> str:
        """The delivery canary's role in this trail's account (:func:`canary_role_name`)."""
        return f"arn:{self.partition}:iam::{self.account}:role/{canary_role_name(prefix)}"

    @property
    def cloudwatch_log_group_name(self) -> str:
        """The log group the trail delivers to when ``cloudwatch_logs.enabled``."""
        return f"/aws/cloudtrail/{self.name}"

    @property
    def beanstalk_events_stream_name(self) -> str:
        """The Firehose stream (and EventBridge rule) of ``beanstalk_events`` in this trail's account."""
        return f"{self.name}-beanstalk-events"

    def beanstalk_events_role_arn(self, prefix: str) -> str:
        """The role Firehose writes Beanstalk service events to the archive with: the archive's bucket and key
        policies name it, so its name is fixed (:meth:`beanstalk_events_role_name`)."""
        return f"arn:{self.partition}:iam::{self.account}:role/{self.beanstalk_events_role_name(prefix)}"

    @staticmethod
    def beanstalk_events_role_name(prefix: str) -> str:
        """Name of :meth:`beanstalk_events_role_arn` (the same in every trail account)."""
        return f"{prefix}-beanstalk-events-delivery"

    def beanstalk_events_prefixes(self, log_prefix: str) -> tuple[str, str]:
        """Where this trail's Firehose writes Beanstalk service events, and the records it could not process:
        ``<log_prefix>beanstalk-events/<account>/<region>/`` and ``<log_prefix>beanstalk-events-errors/...``
        (``log_prefix``: ``""`` or ``"<key prefix>/"``)."""
        tail = f"{self.account}/{self.home_region}/"
        return f"{log_prefix}beanstalk-events/{tail}", f"{log_prefix}beanstalk-events-errors/{tail}"

    @property
    def alarm_name_prefix(self) -> str:
        """Every alarm in this trail's stack is named :func:`alarm_name` ``(self.name, ...)``, beginning with this."""
        return alarm_name_prefix(self.name)

    @property
    def alarm_arn_pattern(self) -> str:
        """The alert topic's ``aws:SourceArn`` pattern for this trail's alarms (:func:`alarm_arn_pattern`)."""
        return alarm_arn_pattern(self.partition, self.home_region, self.account, self.name)

    @property
    def alert_topic_name(self) -> str:
        return f"{topic_base(self.name)}-beanstalk-alerts"

    def stack_name(self, prefix: str) -> str:
        """The trail stack in this account (CloudFormation stack names: a letter, then letters, digits, '-')."""
        return f"{prefix}-trail-{self.account}"

    @property
    def alert_rule_name(self) -> str:
        """The EventBridge rule of the alerts: ``<alert topic>-rule``, shortened with a hash past 64 characters
        (a trail name may have 128)."""
        return fit(f"{self.alert_topic_name}-rule", MAX_RULE_NAME)

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
    def log_key_arns(self) -> str:
        """The log key as a policy in another stack or account names it: :func:`any_key_arn` of the archive's
        account and region, pinned to :attr:`log_key_alias` by the statement."""
        return any_key_arn(self.partition, self.region, self.account)

    def log_reading(self, log_prefix: str = "") -> LogReading:
        """Where a reader of the trails' log files (the canary, the verifier) finds them in this archive."""
        return LogReading(self.log_bucket, log_prefix, self.account, self.region, self.log_key_alias)

    @property
    def cloudwatch_logs_key_alias(self) -> str:
        """Alias of the key of every trail's CloudWatch Logs log group (one per trail account)."""
        return f"alias/{self.prefix}/cloudtrail-cloudwatch-logs"

    @property
    def cloudtrail_metrics_namespace(self) -> str:
        """CloudWatch namespace of the CIS metric filters' metrics."""
        return cloudtrail_metrics_namespace(self.prefix)

    @property
    def athena_results_bucket(self) -> str:
        """``<prefix>-athena-results-<account>-<region>``, or ``<prefix>-athena-<account>-<region>`` where that
        would pass S3's 63 characters (a 20-character prefix in a 15-character region such as us-isof-south-1)."""
        name = f"{self.prefix}-athena-results-{self.account}-{self.region}"
        return name if len(name) <= MAX_BUCKET_NAME else f"{self.prefix}-athena-{self.account}-{self.region}"

    @property
    def athena_results_key_alias(self) -> str:
        return f"alias/{self.prefix}/athena-results"

    @property
    def archive_stack_name(self) -> str:
        return f"{self.prefix}-log-archive"

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
        return f"{self.prefix}{VERIFIER_NAME_SUFFIX}"

    @property
    def log_bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.log_bucket}"

    @property
    def integrity_sweep(self) -> SweepNames:
        """Names of the integrity sweep in the archive account (``integrity_sweep.enabled``)."""
        return SweepNames(self.prefix, self.account, self.region, self.partition)


#: The sweep's metric alarms are named ``<sweep>-<metric name in lowercase>``; the third watches failed executions.
SWEEP_EXECUTIONS_FAILED_ALARM = "executions-failed"


@dataclass(frozen=True)
class SweepNames:
    """Names of the integrity sweep's resources: the state machine (and prefix of everything else of it), its
    functions, results bucket, key alias, log groups, topic and alarms, and the pattern that lets those alarms
    publish to the topic (one place for a name and the grant that authorizes it)."""

    prefix: str
    account: str
    region: str
    partition: str

    @property
    def name(self) -> str:
        return f"{self.prefix}-integrity-sweep"

    @property
    def state_machine_arn(self) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:stateMachine:{self.name}"

    @property
    def batch_function(self) -> str:
        return f"{self.name}-batch"

    @property
    def summary_function(self) -> str:
        return f"{self.name}-summary"

    @property
    def results_bucket(self) -> str:
        """``<prefix>-integrity-sweep-<account>-<region>``, or ``<prefix>-sweep-<account>-<region>`` where that
        would pass S3's 63 characters (a 20-character prefix in ap-southeast-1 makes 64)."""
        name = f"{self.name}-{self.account}-{self.region}"
        return name if len(name) <= MAX_BUCKET_NAME else f"{self.prefix}-sweep-{self.account}-{self.region}"

    @property
    def key_alias(self) -> str:
        return f"alias/{self.name}"

    @property
    def alert_topic(self) -> str:
        return f"{self.name}-alerts"

    @property
    def log_groups(self) -> dict[str, str]:
        """The functions' and the state machine's log groups, by label."""
        return {
            "batch": f"/aws/lambda/{self.batch_function}",
            "summary": f"/aws/lambda/{self.summary_function}",
            "states": f"/aws/vendedlogs/states/{self.name}",
        }

    def alarm_name(self, suffix: str) -> str:
        """``<sweep>-<suffix>`` (:func:`alarm_name`), matched by :attr:`alarm_arn_pattern`."""
        return alarm_name(self.name, suffix)

    @property
    def alarm_arn_pattern(self) -> str:
        """The alert topic's ``aws:SourceArn`` pattern for every :meth:`alarm_name` (:func:`alarm_arn_pattern`)."""
        return alarm_arn_pattern(self.partition, self.region, self.account, self.name)


def cloudtrail_metrics_namespace(prefix: str) -> str:
    """CloudWatch namespace of the CIS metric filters' metrics: ``<prefix>/CloudTrailMetrics``."""
    return f"{prefix}/CloudTrailMetrics"


@dataclass(frozen=True)
class LogReading:
    """Where a reader of a trail's log files (the delivery canary, the verifier) finds them: bucket, key prefix
    and the key that encrypts them, in plain values. ebtrail's archive names its key by alias
    (:meth:`ArchiveNames.log_reading`); an adopted trail's key is named by its ARN, or absent for SSE-S3
    (:attr:`ExistingTrail.log_reading`)."""

    bucket: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str
    #: Account and region of the key (of the bucket when there is no key: no statement names it then).
    key_account: str
    key_region: str
    #: ``alias/...`` of the key when it is named by alias, ``""`` when by :attr:`key_arn`.
    key_alias: str
    #: The key's exact ARN (an adopted trail's). None: by alias.
    key_arn: str | None = None
    #: False: the files are SSE-S3 encrypted, no KMS statement at all.
    encrypted: bool = True

    def key_values(self, partition: str) -> tuple[str, str | None]:
        """The key ARN a statement names and the alias it is pinned to: the exact ARN (no alias), or
        :func:`any_key_arn` of the key's account and region pinned to :attr:`key_alias`."""
        if self.key_arn is not None:
            return self.key_arn, None
        return any_key_arn(partition, self.key_region, self.key_account), self.key_alias


def canary_role_name(prefix: str) -> str:
    """Name of the delivery canary's role in each trail account: fixed, so the archive's policies can name it."""
    return f"{prefix}-delivery-canary"


def canary_function_name(trail_name: str) -> str:
    """``<trail>-canary``, as Lambda function names allow it: no '.' (CloudTrail allows it in trail names) and at
    most 64 characters. The schedule, failed-runs queue, log group and key alias are named after it."""
    return fit(f"{topic_base(trail_name)}-canary", MAX_FUNCTION_NAME)


@dataclass(frozen=True)
class ExistingTrail:
    """A trail ebtrail does not own (``topology = "adopted"``): what the config says it is, in plain values.

    ebtrail creates no trail, bucket or key for it; the proof layer (canary, alerts, verifier, CIS alarms) runs
    in ``target.account`` and home region, Athena in the bucket's account and region.
    """

    #: The trail as CloudTrail knows it: account (the management account for an organization trail), home
    #: region, name, partition, organization ID.
    target: TrailTarget
    #: The bucket the trail delivers to, its account and region.
    bucket: str
    bucket_account: str
    bucket_region: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str
    #: The KMS key (key ARN) that encrypts the log files, or None for SSE-S3.
    kms_key_arn: str | None
    #: The CloudWatch Logs log group the trail delivers to (in ``target.account`` and home region), or None.
    log_group_name: str | None
    #: The account the canary, verifier and alerts run in: an account the trail records (for an organization
    #: trail, a member whose folder ``AWSLogs/<o-id>/<member>/`` the owner lets it read). None: the trail's own.
    proof_account: str | None = None

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.target.partition}:s3:::{self.bucket}"

    @property
    def log_reading(self) -> LogReading:
        """Where the proof layer's readers find the trail's files: its bucket and prefix, its key by ARN (the
        key's account and region read from that ARN; the bucket's when there is no key)."""
        if self.kms_key_arn is None:
            return LogReading(self.bucket, self.log_prefix, self.bucket_account, self.bucket_region, "", None, False)
        parts = self.kms_key_arn.split(":")
        return LogReading(self.bucket, self.log_prefix, parts[4], parts[3], "", self.kms_key_arn)

    @property
    def proof_target(self) -> TrailTarget:
        """The trail as seen from the proof account: that account's roles, folder and alert names (its ``arn`` is
        not the trail's when the accounts differ: use ``target.arn`` for the trail)."""
        if self.proof_account is None or self.proof_account == self.target.account:
            return self.target
        t = self.target
        return TrailTarget(self.proof_account, t.home_region, t.name, t.partition, t.organization_id)

    @classmethod
    def from_arn(
        cls,
        trail_arn: str,
        *,
        bucket: str,
        bucket_account: str,
        bucket_region: str,
        log_prefix: str = "",
        kms_key_arn: str | None = None,
        log_group_name: str | None = None,
        organization_id: str | None = None,
    ) -> ExistingTrail:
        """The trail ``arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`` and where it delivers
        (``log_prefix``: ``""`` or ``"<key prefix>/"``)."""
        parts = trail_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("trail/"):
            raise ValueError(
                f"not a trail ARN (arn:<partition>:cloudtrail:<region>:<account>:trail/<name>): {trail_arn}"
            )
        if log_prefix and not log_prefix.endswith("/"):
            raise ValueError(f"log_prefix must be empty or end with '/': {log_prefix!r}")
        target = TrailTarget(parts[4], parts[3], parts[5].removeprefix("trail/"), parts[1], organization_id)
        return cls(target, bucket, bucket_account, bucket_region, log_prefix, kms_key_arn, log_group_name)


#: Template metadata of a proof stack: the adopted trail's ARN, its bucket and the name prefix of the reader roles
#: (``make synth``'s summary reads it to point at ``preflight --trail ... --readers``).
ADOPTED_TRAIL_METADATA = "ebtrail:AdoptedTrail"


def data_events_trail_name(prefix: str) -> str:
    """The data-events-only trail ebtrail adds next to an adopted trail (``trail.beanstalk_data_events``)."""
    return f"{prefix}-beanstalk-data-events"
