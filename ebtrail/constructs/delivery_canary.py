"""The delivery canary: an EventBridge Scheduler schedule runs the verifier's code in Lambda every period, and
CloudWatch alarms tell the alert topic when the trail stops proving itself."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_sns as sns
from constructs import Construct

from ebtrail.constructs.delivery_canary_alarms import CanaryAlarms, CanaryAlarmsProps
from ebtrail.constructs.delivery_canary_function import CanaryFunction, CanaryFunctionProps
from ebtrail.constructs.delivery_canary_logs import (
    CanaryFailedRuns,
    CanaryFailedRunsProps,
    CanaryLogGroup,
    CanaryLogGroupProps,
)
from ebtrail.constructs.delivery_canary_role import CanaryRole, CanaryRoleProps
from ebtrail.constructs.delivery_canary_schedule import CanarySchedule, CanaryScheduleProps
from ebtrail.constructs.verifier_access import key_reference
from ebtrail.core import canary as facts
from ebtrail.core.cloudtrail_layout import s3_key_prefix
from ebtrail.core.names import canary_function_name


@dataclass(frozen=True)
class DeliveryCanaryProps:
    """What the canary checks and where it reports."""

    #: The trail, as deployed: name, ARN, and whether it is an organization trail.
    trail_name: str
    trail_arn: str
    organization_trail: bool
    #: Partition, account and home region of the trail (the canary runs there).
    partition: str
    account: str
    region: str
    log_bucket_name: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str
    #: The log key: its account, region and alias (``alias/...``); the trail names it by the alias ARN.
    log_key_account: str
    log_key_region: str
    log_key_alias: str
    #: The alert topic: every alarm publishes there. The alarms are named :func:`~ebtrail.core.names.alarm_name`
    #: ``(trail_name, "canary-...")``; the topic's policies must let that prefix publish (the trail stack calls
    #: ``BeanstalkAlerts.allow_cloudwatch_alarms`` with :func:`~ebtrail.core.names.alarm_name_prefix`).
    alarm_topic: sns.ITopic
    #: Name of the canary's role (fixed, so the archive's bucket and key policies can name it across accounts).
    role_name: str
    #: Minutes between two runs (the alarms' period too). Default: 60.
    rate_minutes: int = 60
    #: How long a probe call may take to reach the log files before ``ProbeArrived`` fails. Default: 30.
    max_delivery_minutes: int = 30
    #: The accounts the archive's Athena table projects, for an organization trail with Athena: the canary
    #: reports the organization's accounts outside them (``UnprojectedAccounts``, its alarm, and
    #: ``organizations:ListAccounts`` in the role). Empty: not checked.
    projected_accounts: tuple[str, ...] = ()
    #: An existing key by its key ARN (an adopted trail's), instead of the log key by its alias. Default: none.
    log_key_arn: str | None = None
    #: False: the log files are SSE-S3 encrypted (an adopted trail without a key); no KMS statement. Default: True.
    encrypted: bool = True

    @property
    def log_key_alias_arn(self) -> str:
        return f"arn:{self.partition}:kms:{self.log_key_region}:{self.log_key_account}:{self.log_key_alias}"

    @property
    def expected_kms_key(self) -> str:
        """The key the canary expects the trail to name (``""``: SSE-S3)."""
        if not self.encrypted:
            return ""
        return self.log_key_arn or self.log_key_alias_arn

    @property
    def function_name(self) -> str:
        return canary_function_name(self.trail_name)


class DeliveryCanary(Construct):
    """An EventBridge Scheduler schedule that invokes a Lambda function running
    :func:`ebtrail.lambdas.canary.handler` every ``rate_minutes``, and an alarm on each of its metrics and on
    the function's errors (the list below).

    Composed of parts, each documented on its own: :class:`CanaryLogGroup` and :class:`CanaryFailedRuns` (where
    its failures land), :class:`CanaryRole`, :class:`CanaryFunction`, :class:`CanarySchedule` and
    :class:`CanaryAlarms`. The parts are plain classes that add their resources to this construct, not constructs
    of their own, so every construct path, and so every logical ID, is the one this construct always had: a
    construct in between would rename them, and CloudFormation replaces a resource whose logical ID changes (the
    retained log group and key would be orphaned and made again, the schedule and alarms recreated).

    * **Schedule** (``AWS::Scheduler::Schedule``, flexible window off): its execution role may only invoke this
      function and send to the dead-letter queue, and trusts ``scheduler.amazonaws.com`` only for this account's
      default schedule group (``aws:SourceAccount``, ``aws:SourceArn``; EventBridge Scheduler User Guide, "Set up
      the execution role"). Scheduler retries an invocation it cannot deliver for up to 10 minutes, then puts it
      in the dead-letter queue ("Configuring a schedule's dead-letter queue").
    * **Function** (Python, arm64, 5-minute timeout, no reserved concurrency: Lambda keeps a minimum of unreserved
      concurrency per account, so reserving any fails to deploy in accounts with a low quota). Scheduler invokes
      Lambda asynchronously, so a run that *fails* (an exception) is handled by Lambda, not Scheduler: no retry
      (a retry would make a second probe in the same period) and the event goes to the same dead-letter queue
      (the function's ``DeadLetterConfig``).
    * **Role**: rendered from :data:`ebtrail.core.canary.CANARY_PERMISSIONS` (the verifier's groups it uses plus
      ``kms:DescribeKey`` on the log key and ``cloudwatch:PutMetricData`` with ``cloudwatch:namespace``), plus
      writing to its own log group.
    * **Log group** ``/aws/lambda/<function>``: one-year retention, encrypted with its own key, whose policy lets
      ``logs.<region>.<DNS suffix of the partition>`` use it only with the encryption context of this log group
      (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"). Key and log group are
      retained.
    * **Alarms** to the alert topic (ALARM and OK), rendered from :data:`ebtrail.core.canary.ALARM_RULES`:
      ``ProbeArrived`` < 1 (a probe not delivered; missing data not breaching, so a fresh deploy does not alarm);
      ``CanaryRan`` (the heartbeat every run publishes; a dead canary notifies through INSUFFICIENT_DATA);
      ``TrailLogging`` < 1; ``ConfigDrift`` >= 1; ``DeliveryErrors`` >= 1;
      ``IntegrityFailures`` >= 1 and ``DigestsLate`` >= 1 (the hourly integrity check); ``UnprojectedAccounts`` >= 1 (an
      organization trail with Athena: accounts the table does not project); and the function's own ``Errors``.
      The alert topic's policies must let CloudWatch alarms publish (``BeanstalkAlerts.allow_cloudwatch_alarms``:
      ``aws:SourceArn`` in the topic policy; the key statement unconditioned, as the SNS Developer Guide's
      "Enable compatibility between event sources from AWS services and encrypted topics" shows it).
    """

    def __init__(self, scope: Construct, construct_id: str, props: DeliveryCanaryProps) -> None:
        super().__init__(scope, construct_id)
        function_name = props.function_name
        logs = CanaryLogGroup(
            self,
            CanaryLogGroupProps(
                function_name=function_name, partition=props.partition, account=props.account, region=props.region
            ),
        )
        self.log_key = logs.key
        self.log_group = logs.log_group
        self.dead_letter_queue = CanaryFailedRuns(self, CanaryFailedRunsProps(f"{function_name}-failed-runs")).queue

        key_arn, key_alias = key_reference(
            props.partition, props.log_key_account, props.log_key_region, props.log_key_alias, props.log_key_arn
        )
        role = CanaryRole(
            self,
            CanaryRoleProps(
                role_name=props.role_name,
                trail_name=props.trail_name,
                partition=props.partition,
                account=props.account,
                region=props.region,
                log_bucket_name=props.log_bucket_name,
                log_prefix=props.log_prefix,
                log_key_arn=key_arn,
                log_key_alias=key_alias,
                log_group_arn=logs.log_group_arn,
                failed_runs_queue_arn=self.dead_letter_queue.queue_arn,
                encrypted=props.encrypted,
                organization_projection=bool(props.projected_accounts),
            ),
        )
        self.role, self.policy, self.statements = role.role, role.policy, role.statements

        self.function = CanaryFunction(
            self,
            CanaryFunctionProps(
                function_name=function_name,
                description=f"ebtrail delivery canary: proves every {props.rate_minutes} minutes that "
                f"{props.trail_name} records an Elastic Beanstalk call and delivers it",
                environment=canary_environment(props),
                role=self.role,
                policy=self.policy,
                log_group=self.log_group,
                dead_letter_queue=self.dead_letter_queue,
            ),
        ).function

        schedule = CanarySchedule(
            self,
            CanaryScheduleProps(
                schedule_name=function_name,
                trail_name=props.trail_name,
                rate_minutes=props.rate_minutes,
                partition=props.partition,
                account=props.account,
                region=props.region,
                function=self.function,
                function_name=function_name,
                dead_letter_queue=self.dead_letter_queue,
            ),
        )
        self.scheduler_role, self.scheduler_policy, self.schedule = schedule.role, schedule.policy, schedule.schedule

        self.alarms = CanaryAlarms(
            self,
            CanaryAlarmsProps(
                trail_name=props.trail_name,
                trail_arn=props.trail_arn,
                function=self.function,
                function_name=function_name,
                alarm_topic=props.alarm_topic,
                rate_minutes=props.rate_minutes,
                max_delivery_minutes=props.max_delivery_minutes,
                unprojected_accounts=bool(props.projected_accounts),
            ),
        ).alarms


def canary_environment(props: DeliveryCanaryProps) -> dict[str, str]:
    """The handler's settings (:mod:`ebtrail.core.canary`'s ``ENV_*``): the trail as deployed, what to expect of it,
    and the integrity window (one period plus an overlap, so no file falls between two runs)."""
    return {
        facts.ENV_TRAIL_ARN: props.trail_arn,
        facts.ENV_BUCKET: props.log_bucket_name,
        facts.ENV_PREFIX: s3_key_prefix(props.log_prefix) or "",
        facts.ENV_KMS_KEY: props.expected_kms_key,
        facts.ENV_ORGANIZATION: "true" if props.organization_trail else "false",
        facts.ENV_MAX_DELIVERY_MINUTES: str(props.max_delivery_minutes),
        **_projection_environment(props),
        facts.ENV_INTEGRITY_WINDOW_MINUTES: str(props.rate_minutes + facts.INTEGRITY_OVERLAP_MINUTES),
    }


def _projection_environment(props: DeliveryCanaryProps) -> dict[str, str]:
    """The projected accounts for the function, only when the canary checks them (other templates unchanged)."""
    if not props.projected_accounts:
        return {}
    return {facts.ENV_PROJECTED_ACCOUNTS: ",".join(sorted(props.projected_accounts))}
