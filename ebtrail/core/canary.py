"""Facts shared by the canary's Lambda handler (:mod:`ebtrail.lambdas.canary`) and its CDK construct: metric
names, the function's environment, and its IAM permissions (rendered into its role by the construct).

The permissions are the verifier's groups the canary uses, taken from :data:`ebtrail.core.permissions.PERMISSIONS`
(the single source of truth), plus what only the canary does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ebtrail.core.permissions import PERMISSIONS, Condition, PermissionGroup

#: CloudWatch namespace of every canary metric (the role may publish to this namespace only).
NAMESPACE = "ebtrail/Canary"
#: The one dimension of every metric: the trail's name.
DIMENSION = "TrailName"

#: 1 when an earlier probe's CreateApplication record was found in the trail's log files, 0 when it was not
#: there ``max_delivery_minutes`` after the call.
PROBE_ARRIVED = "ProbeArrived"
#: Seconds from the probe's call to the delivery of the log file that holds its record (to the minute).
DELIVERY_SECONDS = "DeliverySeconds"
#: 1 while GetTrailStatus says IsLogging, else 0.
TRAIL_LOGGING = "TrailLogging"
#: 1 when GetTrailStatus reports a delivery, notification or digest delivery error, or (when the trail has a log
#: group) a CloudWatch Logs delivery error, else 0.
DELIVERY_ERRORS = "DeliveryErrors"
#: 1 when the trail differs from what the stack deployed, else 0.
CONFIG_DRIFT = "ConfigDrift"
#: 1 from every run, the first included (a heartbeat): its absence is a dead canary.
CANARY_RAN = "CanaryRan"
#: Organization topology with Athena: how many ACTIVE accounts of the organization the Athena table does not
#: project (their log files are in the archive, and no query sees them).
UNPROJECTED_ACCOUNTS = "UnprojectedAccounts"
METRICS = (
    PROBE_ARRIVED,
    DELIVERY_SECONDS,
    TRAIL_LOGGING,
    DELIVERY_ERRORS,
    CONFIG_DRIFT,
    CANARY_RAN,
    UNPROJECTED_ACCOUNTS,
)


@dataclass(frozen=True)
class AlarmRule:
    """How one canary metric alarms, in CloudFormation's words (``AWS::CloudWatch::Alarm``): the construct renders
    it, and the canary's tests evaluate it against the metrics a run publishes, with CloudWatch's documented
    semantics ("Configuring how CloudWatch alarms treat missing data", CloudWatch User Guide)."""

    metric: str
    statistic: str
    comparison: str
    threshold: float
    evaluation_periods: int
    #: ``breaching``, ``notBreaching``, ``ignore`` or ``missing``.
    treat_missing: str
    #: Whether the INSUFFICIENT_DATA state notifies too (the heartbeat: see :data:`ALARM_RULES`).
    notify_insufficient_data: bool = False


#: The canary's alarms on its own metrics.
#:
#: * ``ProbeArrived``: a probe decided "not delivered" is an explicit 0, so missing data (the first run, which has
#:   no earlier probe to judge, and runs whose probe is still pending) is not breaching. It used to be breaching
#:   over two periods, and the first probe is judged only by the second run: every fresh deploy was in ALARM for
#:   one to two hours.
#: * ``CanaryRan``: the dead-canary alarm. Every run publishes 1, from the first run on, and EventBridge Scheduler
#:   starts a rate schedule without a start date "immediately" ("Schedule types in EventBridge Scheduler",
#:   rate-based). Missing data is ``missing``: "If all data points in the alarm evaluation range are missing, the
#:   alarm transitions to INSUFFICIENT_DATA" (CloudWatch User Guide, "Configuring how CloudWatch alarms treat
#:   missing data"). A new alarm starts in INSUFFICIENT_DATA and actions run on state changes only, so a fresh
#:   deploy notifies nobody before the first run; a canary that stops running moves the alarm from OK to
#:   INSUFFICIENT_DATA after two silent periods, and that transition notifies the alert topic. ``breaching``
#:   here would page on every fresh deploy while the alarm exists before the first datapoint.
ALARM_RULES: dict[str, AlarmRule] = {
    PROBE_ARRIVED: AlarmRule(PROBE_ARRIVED, "Minimum", "LessThanThreshold", 1, 1, "notBreaching"),
    CANARY_RAN: AlarmRule(CANARY_RAN, "Sum", "LessThanThreshold", 1, 2, "missing", notify_insufficient_data=True),
    TRAIL_LOGGING: AlarmRule(TRAIL_LOGGING, "Minimum", "LessThanThreshold", 1, 1, "ignore"),
    CONFIG_DRIFT: AlarmRule(CONFIG_DRIFT, "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
    DELIVERY_ERRORS: AlarmRule(DELIVERY_ERRORS, "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
}

#: The Lambda handler, as the function's ``Handler`` names it.
HANDLER = "ebtrail.lambdas.canary.handler"

#: Environment variables the deployed function reads (set by the construct).
ENV_TRAIL_ARN = "EBTRAIL_TRAIL_ARN"
ENV_BUCKET = "EBTRAIL_BUCKET"
ENV_PREFIX = "EBTRAIL_PREFIX"
ENV_KMS_KEY = "EBTRAIL_KMS_KEY"
ENV_ORGANIZATION = "EBTRAIL_ORGANIZATION_TRAIL"
ENV_MAX_DELIVERY_MINUTES = "EBTRAIL_MAX_DELIVERY_MINUTES"
#: Comma-separated account IDs the Athena table projects; set only for an organization trail with Athena.
ENV_PROJECTED_ACCOUNTS = "EBTRAIL_PROJECTED_ACCOUNTS"

#: The verifier's groups the canary needs: read the trail, make and delete probes, list and read (and decrypt)
#: log files. Not the SNS channel's queue and subscription, nor event history: the canary reads S3 only.
VERIFIER_GROUPS = ("ReadTrail", "ProbeApplication", "ListLogPrefix", "ReadLogFiles", "DecryptLogFiles")
#: The verifier's groups the hourly integrity check adds (:mod:`ebtrail.lambdas.canary_integrity`): CloudTrail's
#: public keys. The digest files are under the trail's AWSLogs/ prefix, read and listed by the groups above.
INTEGRITY_GROUPS = ("DigestPublicKeys",)

CANARY_ONLY: tuple[PermissionGroup, ...] = (
    PermissionGroup(
        sid="DescribeLogKey",
        purpose=(
            "Drift check: resolve the deployed log key's alias to its key ARN and state, to compare with the "
            "trail's KmsKeyId (GetTrail names the key ARN, the stack the alias)."
        ),
        actions=("kms:DescribeKey",),
        resources=("${KeyArn}",),
        api_calls=(("kms", "DescribeKey", "kms:DescribeKey"),),
        when="the trail encrypts its log files with a KMS key",
    ),
    PermissionGroup(
        sid="PublishCanaryMetrics",
        purpose=(
            "Publish the canary's metrics. PutMetricData supports no resource-level permissions; the "
            "cloudwatch:namespace condition keeps it to the canary's namespace."
        ),
        actions=("cloudwatch:PutMetricData",),
        resources=("*",),
        conditions=(Condition("StringEquals", "cloudwatch:namespace", (NAMESPACE,)),),
        api_calls=(("cloudwatch", "PutMetricData", "cloudwatch:PutMetricData"),),
    ),
)

CANARY_PERMISSIONS: tuple[PermissionGroup, ...] = (
    *(group for group in PERMISSIONS if group.sid in VERIFIER_GROUPS + INTEGRITY_GROUPS),
    *CANARY_ONLY,
)

#: Only for an organization trail whose archive has the Athena table (the canary then runs in the management
#: account, where ListAccounts is answered).
LIST_ORGANIZATION_ACCOUNTS = PermissionGroup(
    sid="ListOrganizationAccounts",
    purpose=(
        "Compare the organization's accounts with the accounts the Athena table projects (UnprojectedAccounts). "
        "organizations:ListAccounts supports no resource-level permissions (Service Authorization Reference, "
        "AWS Organizations: no resource type for ListAccounts), so the resource is *."
    ),
    actions=("organizations:ListAccounts",),
    resources=("*",),
    api_calls=(("organizations", "ListAccounts", "organizations:ListAccounts"),),
    when="an organization trail with the Athena table",
)

#: The alarm on :data:`UNPROJECTED_ACCOUNTS` (with :data:`LIST_ORGANIZATION_ACCOUNTS`): any account not projected.
#: Missing data keeps the state: the metric comes from the one canary in the management account, whose silence is
#: the ``CanaryRan`` alarm's.
UNPROJECTED_ACCOUNTS_RULE = AlarmRule(UNPROJECTED_ACCOUNTS, "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore")


def canary_permissions(*, organization_projection: bool) -> tuple[PermissionGroup, ...]:
    """The canary's permission groups; ``organization_projection`` adds :data:`LIST_ORGANIZATION_ACCOUNTS`."""
    return (*CANARY_PERMISSIONS, LIST_ORGANIZATION_ACCOUNTS) if organization_projection else CANARY_PERMISSIONS


# --- the hourly integrity check (ebtrail.lambdas.canary_integrity) ---------------------------------------------

#: Digest and log files of the run that are modified or missing (a replaced or deleted digest, a changed or
#: deleted log file): 0 while the archive is intact. The files are in the run's log.
INTEGRITY_FAILURES = "IntegrityFailures"
#: Digest and log files the run checked (the n of IntegrityFailures' 0/n).
INTEGRITY_CHECKED = "IntegrityFilesChecked"
#: Regions whose newest digest ended more than DIGEST_OVERDUE before the run.
DIGESTS_LATE = "DigestsLate"
INTEGRITY_METRICS = (INTEGRITY_FAILURES, INTEGRITY_CHECKED, DIGESTS_LATE)

#: CloudTrail delivers a digest per region per hour while log file validation is on ("CloudTrail digest file
#: structure", CloudTrail User Guide); AWS gives no bound on its delivery, so half an hour of slack.
DIGEST_OVERDUE = timedelta(minutes=90)
#: How far back a run lists a region's digests (the newest one, for the late check): two day folders at most.
DIGEST_LOOKBACK = timedelta(days=1)
#: Minutes added to the period for the window of "delivered since the previous run": the schedule's jitter. A
#: digest in two windows is checked twice (harmless); none falls between two.
INTEGRITY_OVERLAP_MINUTES = 10
#: Minutes of that window (period + overlap), set by the construct.
ENV_INTEGRITY_WINDOW_MINUTES = "EBTRAIL_INTEGRITY_WINDOW_MINUTES"

#: The integrity check's alarms, beside :data:`ALARM_RULES`: any modified or missing file, any overdue region.
#: Missing data keeps the state: a canary that stops reporting is the ``CanaryRan`` alarm's.
INTEGRITY_ALARM_RULES: dict[str, AlarmRule] = {
    INTEGRITY_FAILURES: AlarmRule(INTEGRITY_FAILURES, "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
    DIGESTS_LATE: AlarmRule(DIGESTS_LATE, "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
}
