"""The canary's IAM permissions: the verifier's groups it uses (from :data:`verifier.permissions.PERMISSIONS`,
the single source of truth) plus what only the canary does. The canary construct renders its role from this."""

from __future__ import annotations

from verifier.canary import NAMESPACE
from verifier.permissions import PERMISSIONS, Condition, PermissionGroup

#: The verifier's groups the canary needs: read the trail, make and delete probes, list and read (and decrypt)
#: log files. Not the SNS channel's queue and subscription, nor event history: the canary reads S3 only.
VERIFIER_GROUPS = ("ReadTrail", "ProbeApplication", "ListLogPrefix", "ReadLogFiles", "DecryptLogFiles")

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
    *(group for group in PERMISSIONS if group.sid in VERIFIER_GROUPS),
    *CANARY_ONLY,
)
