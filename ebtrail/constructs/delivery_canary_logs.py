"""Where the delivery canary's own failures land: its encrypted log group and its dead-letter queue.

Parts of :class:`~ebtrail.constructs.delivery_canary.DeliveryCanary`. They are plain classes that add their
resources to the canary's own scope, not constructs of their own: a construct in between would change every
construct path under it, so the CloudFormation logical IDs, and CloudFormation replaces a resource whose logical
ID changes (a retained log group and key would be orphaned and recreated, losing the canary's history).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.policy_conditions import regional_service

#: CloudWatch Logs retention of the function's own log group.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
#: How long the dead-letter queue keeps a failed run: SQS's maximum (``MessageRetentionPeriod``, 14 days), so a
#: failure over a long weekend is still there to read.
FAILED_RUNS_RETENTION = Duration.days(14)


@dataclass(frozen=True)
class CanaryLogGroupProps:
    """The Lambda function whose log group this is, and where it runs."""

    #: Name of the canary's function: the log group is Lambda's default ``/aws/lambda/<function_name>``.
    function_name: str
    #: Partition, account and region of the function (the log group's ARN, the key policy's service principal).
    partition: str
    account: str
    region: str
    #: How long CloudWatch Logs keeps the function's reports. Default: one year (:data:`LOG_RETENTION`).
    retention: logs.RetentionDays = field(default=LOG_RETENTION)


class CanaryLogGroup:
    """The function's log group ``/aws/lambda/<function>``, encrypted with a key of its own; both retained.

    Why a key of its own: the canary's reports name the trail's bucket, files and drifted settings, and CloudWatch
    Logs encrypts a log group with a customer managed key only if the key policy lets
    ``logs.<region>.<DNS suffix of the partition>`` use it, here only with the encryption context of this log group
    (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"). The function names this
    group (its logging configuration), so Lambda never makes one of its own without key or retention. Adds
    ``LogGroupKey`` and ``LogGroup`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: CanaryLogGroupProps) -> None:
        self.log_group_name = f"/aws/lambda/{props.function_name}"
        self.log_group_arn = (
            f"arn:{props.partition}:logs:{props.region}:{props.account}:log-group:{self.log_group_name}"
        )
        self.key = kms.Key(
            scope,
            "LogGroupKey",
            alias=f"alias/{props.function_name}-logs",
            description=f"Encrypts the log group of the {props.function_name} Lambda function",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsForTheCanaryLogGroup",
                principals=[iam.ServicePrincipal(regional_service("logs", props.region))],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [self.log_group_arn]}},
            )
        )
        self.log_group = logs.LogGroup(
            scope,
            "LogGroup",
            log_group_name=self.log_group_name,
            retention=props.retention,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )


@dataclass(frozen=True)
class CanaryFailedRunsProps:
    """The queue's name and how long it keeps a failed run."""

    #: Name of the queue (the alarms' descriptions name it: ``<function>-failed-runs``).
    queue_name: str
    #: How long a failed run waits to be read. Default: 14 days (:data:`FAILED_RUNS_RETENTION`).
    retention_period: Duration = field(default=FAILED_RUNS_RETENTION)


class CanaryFailedRuns:
    """The dead-letter queue of both the schedule (an invocation Scheduler could not deliver) and the function (a
    run that failed): one place to look when the ``CanaryRan`` or ``Errors`` alarm fires. SSE-SQS encrypted, TLS
    only. Adds ``FailedRuns`` to ``scope``."""

    def __init__(self, scope: Construct, props: CanaryFailedRunsProps) -> None:
        self.queue = sqs.Queue(
            scope,
            "FailedRuns",
            queue_name=props.queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=props.retention_period,
        )
        acknowledge(
            self.queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the canary's schedule and function.",
        )
