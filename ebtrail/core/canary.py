"""Facts shared by the canary's Lambda handler (:mod:`ebtrail.verifier.canary`) and its CDK construct: metric
names, the function's environment, and its IAM permissions (rendered into its role by the construct).

The permissions are the verifier's groups the canary uses, taken from :data:`ebtrail.core.permissions.PERMISSIONS`
(the single source of truth), plus what only the canary does.
"""

from __future__ import annotations

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
#: 1 when GetTrailStatus reports a delivery, notification or digest delivery error, else 0.
DELIVERY_ERRORS = "DeliveryErrors"
#: 1 when the trail differs from what the stack deployed, else 0.
CONFIG_DRIFT = "ConfigDrift"
METRICS = (PROBE_ARRIVED, DELIVERY_SECONDS, TRAIL_LOGGING, DELIVERY_ERRORS, CONFIG_DRIFT)

#: The Lambda handler, as the function's ``Handler`` names it.
HANDLER = "ebtrail.verifier.canary.handler"

#: Environment variables the deployed function reads (set by the construct).
ENV_TRAIL_ARN = "EBTRAIL_TRAIL_ARN"
ENV_BUCKET = "EBTRAIL_BUCKET"
ENV_PREFIX = "EBTRAIL_PREFIX"
ENV_KMS_KEY = "EBTRAIL_KMS_KEY"
ENV_ORGANIZATION = "EBTRAIL_ORGANIZATION_TRAIL"
ENV_MAX_DELIVERY_MINUTES = "EBTRAIL_MAX_DELIVERY_MINUTES"

#: The verifier's groups the canary needs: read the trail, make and delete probes, list and read (and decrypt)
#: log files. Not the SNS channel's queue and subscription, nor event history: the canary reads S3 only.
VERIFIER_GROUPS = ("ReadTrail", "ProbeApplication", "ListLogPrefix", "ReadLogFiles", "DecryptLogFiles")
#: The verifier's groups the hourly integrity check adds (:mod:`ebtrail.verifier.canary_integrity`): CloudTrail's
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

# --- the hourly integrity check (ebtrail.verifier.canary_integrity) ---------------------------------------------

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
