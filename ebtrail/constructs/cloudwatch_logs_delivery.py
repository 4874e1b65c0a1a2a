"""CloudTrail delivery to a CloudWatch Logs log group: the log group, its own key, and CloudTrail's role."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.policy_conditions import CLOUDTRAIL_SERVICE, regional_service, stack_partition
from ebtrail.core.log_retention import DEFAULT_LOG_RETENTION_DAYS

#: Encryption-context key CloudWatch Logs sets on every KMS request for a log group's data.
LOGS_CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"


@dataclass(frozen=True)
class CloudWatchLogsDeliveryProps:
    """What the delivery needs to know."""

    #: Log group name, for example ``/aws/cloudtrail/<trail name>``.
    log_group_name: str
    #: Alias of the log group's own key, for example ``alias/<prefix>/cloudtrail-cloudwatch-logs``.
    key_alias: str
    #: Days CloudWatch Logs keeps the events (:data:`~ebtrail.core.log_retention.DEFAULT_LOG_RETENTION_DAYS`).
    retention_days: int = DEFAULT_LOG_RETENTION_DAYS


class CloudWatchLogsDelivery(Construct):
    """A KMS-encrypted log group and the least-privilege role CloudTrail assumes to write to it.

    * Key policy ``AllowCloudWatchLogsUseOfTheKey``: the statement of "Encrypt log data in CloudWatch Logs
      using AWS Key Management Service" (CloudWatch Logs User Guide,
      https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html) for the regional
      service principal ``logs.<region>.<DNS suffix>`` (``amazonaws.com`` in ``aws``, ``amazonaws.com.cn`` in
      ``aws-cn``: :func:`ebtrail.constructs.policy_conditions.regional_service`) (``kms:Encrypt*``, ``kms:Decrypt*``,
      ``kms:ReEncrypt*``, ``kms:GenerateDataKey*``, ``kms:Describe*``), narrowed with ``ArnEquals`` on the
      ``kms:EncryptionContext:aws:logs:arn`` context to this one log group, as that guide shows for a key
      used by a single log group. A wrong statement fails loudly: CloudWatch Logs refuses to create a log
      group whose key it cannot use.
    * The key is this log group's alone (rotation on, retained: deleting it would make the retained events
      unreadable). The log group is retained too.
    * The delivery role's policy is the one of "Role policy document for CloudTrail to use CloudWatch Logs
      for monitoring" (CloudTrail User Guide,
      https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html):
      ``logs:CreateLogStream`` and ``logs:PutLogEvents`` on this log group's streams only
      (``log-stream:*``, which also covers the ``<o-id>_*`` streams an organization trail writes).
    * The role's trust is the one "Sending events to CloudWatch Logs" (CloudTrail User Guide, "Creating a role",
      https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html)
      shows: ``sts:AssumeRole`` for ``cloudtrail.amazonaws.com``, deliberately *without* ``aws:SourceArn`` or
      ``aws:SourceAccount``. No CloudTrail page says that CloudTrail's AssumeRole for log delivery carries them:
      "Cross-service confused deputy prevention" (CloudTrail User Guide) speaks of resource policies, and the
      role pages show no condition. Of the two ways a guessed condition can be wrong, one is silent: CloudTrail
      assumes the role when the trail is created or updated, so a key it never sends fails the deploy
      (``InvalidCloudWatchLogsRoleArnException``), but an organization trail delivers every member account's
      events through this role, and if CloudTrail named the member as ``aws:SourceAccount`` for those (nothing
      documents which account it sends), the management account's own events would pass the deploy-time check
      while every member's events would be dropped without an error. So the side that cannot fail silently is
      no condition. What still confines the role: only a principal of this account allowed ``iam:PassRole`` on
      it can name it on a trail (a trail's CloudWatch Logs role must be in the trail's own account), and it can
      write only this log group's streams.
    """

    def __init__(self, scope: Construct, construct_id: str, props: CloudWatchLogsDeliveryProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # A plain ARN wherever the region is known: the acknowledgment below names it (stack_partition).
        self.log_group_arn = stack.format_arn(
            partition=stack_partition(stack),
            service="logs",
            resource="log-group",
            resource_name=props.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.key = kms.Key(
            self,
            "Key",
            alias=props.key_alias,
            description=f"Encrypts the CloudTrail events in CloudWatch Logs log group {props.log_group_name}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsUseOfTheKey",
                principals=[iam.ServicePrincipal(regional_service("logs", stack.region))],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnEquals": {LOGS_CONTEXT_KEY: self.log_group_arn}},
            )
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=props.log_group_name,
            encryption_key=self.key,
            retention=logs.RetentionDays.INFINITE,  # replaced by the configured days just below
            removal_policy=RemovalPolicy.RETAIN,
        )
        # RetentionDays is an enum of names; the configured number (validated against CloudWatch Logs'
        # allowed values) goes straight into the CloudFormation property.
        cfn_log_group = self.log_group.node.default_child
        assert isinstance(cfn_log_group, logs.CfnLogGroup)
        cfn_log_group.retention_in_days = props.retention_days

        self.role = iam.Role(
            self,
            "DeliveryRole",
            description=f"CloudTrail delivers the events of its trail to the {props.log_group_name} log group",
            # No aws:SourceArn/aws:SourceAccount: undocumented for this AssumeRole, and for an organization trail a
            # wrong guess would drop the member accounts' events silently (see the class docstring).
            assumed_by=iam.ServicePrincipal(CLOUDTRAIL_SERVICE),
        )
        self.delivery = iam.PolicyStatement(
            sid="AWSCloudTrailCreateLogStreamAndPutLogEvents",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{self.log_group_arn}:log-stream:*"],
        )
        self.policy = iam.ManagedPolicy(self, "DeliveryPolicy", statements=[self.delivery], roles=[self.role])
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{self.log_group_arn}:log-stream:*]",
            "CloudTrail names its log streams itself (<account>_CloudTrail_<region>, and <o-id>_* for an "
            "organization trail); the wildcard is on the streams of this one log group only.",
        )

    @property
    def trail_prerequisites(self) -> tuple[Construct, ...]:
        """What must exist before CloudTrail is told to use the log group: the role's policy (group and role
        are referenced by the trail's properties, which orders them already)."""
        return (self.policy,)
