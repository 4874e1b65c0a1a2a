"""The delivery canary: an EventBridge Scheduler schedule runs the verifier's code in Lambda every period, and
CloudWatch alarms tell the alert topic when the trail stops proving itself."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.lambda_bundle import lambda_code
from ebtrail.constructs.policy_conditions import partition_dns_suffix, regional_service
from ebtrail.constructs.verifier_access import key_groups, key_reference, render_statements
from ebtrail.core import canary as facts
from ebtrail.core.cloudtrail_layout import s3_key_prefix
from ebtrail.core.names import alarm_name, canary_function_name
from ebtrail.core.permissions import RESOURCE_PREFIX

#: Lambda's Python runtime (the verifier needs 3.11 or later); arm64 costs less per GB-second than x86_64.
RUNTIME = lambda_.Runtime.PYTHON_3_14
#: One run lists and reads an hour of log files of one region folder (bench/canary_bench.py: well under
#: a minute against 2,000 earlier files); shorter than the smallest period (15 minutes), so runs cannot overlap.
TIMEOUT = Duration.minutes(5)
MEMORY_MB = 256
#: CloudWatch Logs retention of the function's own log group.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
#: How long Scheduler keeps retrying an invocation it could not hand to Lambda (throttling, a missing
#: permission) before it goes to the dead-letter queue; shorter than the smallest period.
SCHEDULER_MAX_EVENT_AGE_SECONDS = 600


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
    rate_minutes: int = 60
    max_delivery_minutes: int = 30
    #: The accounts the archive's Athena table projects, for an organization trail with Athena: the canary
    #: reports the organization's accounts outside them (``UnprojectedAccounts``, its alarm, and
    #: ``organizations:ListAccounts`` in the role). Empty: not checked.
    projected_accounts: tuple[str, ...] = ()
    #: An existing key by its key ARN (an adopted trail's), instead of the log key by its alias. Default: none.
    log_key_arn: str | None = None
    #: False: the log files are SSE-S3 encrypted (an adopted trail without a key); no KMS statement.
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
        period = Duration.minutes(props.rate_minutes)
        function_name = props.function_name
        log_group_name = f"/aws/lambda/{function_name}"
        log_group_arn = f"arn:{props.partition}:logs:{props.region}:{props.account}:log-group:{log_group_name}"

        self.log_key = kms.Key(
            self,
            "LogGroupKey",
            alias=f"alias/{function_name}-logs",
            description=f"Encrypts the log group of the {function_name} Lambda function",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.log_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsForTheCanaryLogGroup",
                principals=[iam.ServicePrincipal(regional_service("logs", props.region))],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [log_group_arn]}},
            )
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=log_group_name,
            retention=LOG_RETENTION,
            encryption_key=self.log_key,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.dead_letter_queue = sqs.Queue(
            self,
            "FailedRuns",
            queue_name=f"{function_name}-failed-runs",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the canary's schedule and function.",
        )

        self.role = iam.Role(
            self,
            "Role",
            role_name=props.role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the ebtrail delivery canary of trail {props.trail_name}",
        )
        key_arn, key_alias = key_reference(
            props.partition, props.log_key_account, props.log_key_region, props.log_key_alias, props.log_key_arn
        )
        values = {
            "Partition": props.partition,
            "DnsSuffix": partition_dns_suffix(props.partition),
            "Account": props.account,
            "Bucket": props.log_bucket_name,
            "Prefix": props.log_prefix,
            "KeyArn": key_arn,
            "Region": props.region,
        }
        groups = facts.canary_permissions(organization_projection=bool(props.projected_accounts))
        self.statements = render_statements(key_groups(groups, props.encrypted), values, key_alias)
        self.statements += [
            iam.PolicyStatement(
                sid="WriteOwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group_arn}:*"],
            ),
            iam.PolicyStatement(
                sid="SendFailedRuns",
                actions=["sqs:SendMessage"],
                resources=[self.dead_letter_queue.queue_arn],
            ),
        ]
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            managed_policy_name=props.role_name,
            # Not the trail's name: a managed policy's Description is create-only (the resource schema's
            # createOnlyProperties), so a description that changes with the trail name replaces this custom-named
            # policy, and "You can't perform an update that causes a custom-named resource to be replaced"
            # (CloudFormation, "CloudFormation resource custom naming"): a trail rename failed at this policy.
            description="What the ebtrail delivery canary of this account needs",
            statements=self.statements,
            roles=[self.role],
        )
        for resource, reason in _wildcard_reasons(self.statements, log_group_arn).items():
            acknowledge(self.policy, f"AwsSolutions-IAM5[Resource::{resource}]", reason)

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=f"ebtrail delivery canary: proves every {props.rate_minutes} minutes that {props.trail_name} "
            "records an Elastic Beanstalk call and delivers it",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=facts.HANDLER,
            code=lambda_code(),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            # Every grant is in the managed policy above; no inline default policy next to it.
            role=self.role.without_policy_updates(),
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=0,
            environment={
                facts.ENV_TRAIL_ARN: props.trail_arn,
                facts.ENV_BUCKET: props.log_bucket_name,
                facts.ENV_PREFIX: s3_key_prefix(props.log_prefix) or "",
                facts.ENV_KMS_KEY: props.expected_kms_key,
                facts.ENV_ORGANIZATION: "true" if props.organization_trail else "false",
                facts.ENV_MAX_DELIVERY_MINUTES: str(props.max_delivery_minutes),
                **_projection_environment(props),
                facts.ENV_INTEGRITY_WINDOW_MINUTES: str(props.rate_minutes + facts.INTEGRITY_OVERLAP_MINUTES),
            },
        )
        # The function must not run before its policy is attached. aws-cdk-lib also makes it depend on the role,
        # which its Role property already implies (cfn-lint W3005): name only the policy.
        cfn_function = self.function.node.default_child
        cfn_policy = self.policy.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction) and isinstance(cfn_policy, iam.CfnManagedPolicy)
        cfn_function.add_override("DependsOn", [Stack.of(self).get_logical_id(cfn_policy)])
        acknowledge(
            self.function,
            "NIST.800.53.R5-LambdaConcurrency",
            "No reserved concurrency on purpose: Lambda keeps a minimum of unreserved concurrency per account, so "
            "reserving any fails to deploy in accounts with a low quota; one run per period, timeout shorter than "
            "the period.",
        )
        acknowledge(
            self.function,
            "NIST.800.53.R5-LambdaInsideVPC",
            "Calls only AWS APIs (CloudTrail, Elastic Beanstalk, S3, KMS, CloudWatch) once per period; a VPC would "
            "need a NAT gateway or five interface endpoints in every trail account for that.",
        )

        schedule_name = function_name
        schedule_group_arn = f"arn:{props.partition}:scheduler:{props.region}:{props.account}:schedule-group/default"
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.PrincipalWithConditions(
                iam.ServicePrincipal("scheduler.amazonaws.com"),
                {
                    "StringEquals": {"aws:SourceAccount": props.account},
                    "ArnEquals": {"aws:SourceArn": schedule_group_arn},
                },
            ),
            description=f"Lets EventBridge Scheduler invoke the {function_name} function",
        )
        self.scheduler_policy = iam.ManagedPolicy(
            self,
            "SchedulerPolicy",
            description=f"What EventBridge Scheduler needs to run the {function_name} function",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeCanary",
                    actions=["lambda:InvokeFunction"],
                    resources=[self.function.function_arn],
                ),
                iam.PolicyStatement(
                    sid="SendFailedInvocations",
                    actions=["sqs:SendMessage"],
                    resources=[self.dead_letter_queue.queue_arn],
                ),
            ],
            roles=[self.scheduler_role],
        )
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            name=schedule_name,
            description=f"Runs the ebtrail delivery canary of trail {props.trail_name}",
            schedule_expression=f"rate({props.rate_minutes} minutes)",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function_arn,
                role_arn=self.scheduler_role.role_arn,
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=SCHEDULER_MAX_EVENT_AGE_SECONDS,
                    maximum_retry_attempts=3,
                ),
            ),
        )
        self.schedule.node.add_dependency(self.scheduler_policy)

        self.alarms = self._alarms(props, period)

    def _alarms(self, props: DeliveryCanaryProps, period: Duration) -> dict[str, cloudwatch.Alarm]:
        name = props.function_name
        descriptions = {
            facts.PROBE_ARRIVED: f"The canary's probe call (an Elastic Beanstalk CreateApplication) did not reach the "
            f"log files of trail {props.trail_name} within {props.max_delivery_minutes} minutes. Check TrailLogging, "
            f"DeliveryErrors and ConfigDrift, the canary's log group /aws/lambda/{name} and its failed-runs queue; "
            f"run 'ebtrail-verify verify --trail {props.trail_name}' to see the path end to end.",
            facts.CANARY_RAN: f"The {name} canary has not reported for two periods (this alarm is then in "
            "INSUFFICIENT_DATA, which notifies): its schedule is disabled or deleted, Scheduler cannot invoke it, or "
            f"every run dies before publishing. Check the schedule {name}, the queue {name}-failed-runs and the log "
            f"group /aws/lambda/{name}. Nothing proves the trail delivers until it runs again.",
            facts.TRAIL_LOGGING: f"Trail {props.trail_name} is not logging: someone called StopLogging (see who in "
            f"CloudTrail event history) or deleted the trail. Run 'aws cloudtrail start-logging --name "
            f"{props.trail_arn}' once the change is understood, or redeploy the stack.",
            facts.CONFIG_DRIFT: f"Trail {props.trail_name} differs from what the stack deployed (bucket, prefix, KMS "
            "key or its state, multi-region, log file validation, organization, management write events). The "
            f"drifted setting is in the canary's log group /aws/lambda/{name}; redeploy the stack (or run "
            "CloudFormation drift detection) to restore it.",
            facts.DELIVERY_ERRORS: f"CloudTrail reports a delivery error for trail {props.trail_name} (GetTrailStatus "
            "LatestDeliveryError, LatestNotificationError, LatestDigestDeliveryError or, with CloudWatch Logs "
            "delivery, LatestCloudWatchLogsDeliveryError): the bucket policy, the KMS key policy or state, the "
            "topic policy, or the CloudWatch Logs role, log group or its key no longer lets CloudTrail write "
            "(the CIS alarms go quiet while CloudWatch Logs delivery fails). 'aws cloudtrail get-trail-status "
            f"--name {props.trail_arn}' shows the error; restore the policy by redeploying.",
        }
        alarms = {
            metric_name: self._rule_alarm(rule, props, period, descriptions[metric_name])
            for metric_name, rule in facts.ALARM_RULES.items()
        }
        integrity_descriptions = _integrity_descriptions(props)
        alarms.update(
            (metric_name, self._rule_alarm(rule, props, period, integrity_descriptions[metric_name]))
            for metric_name, rule in facts.INTEGRITY_ALARM_RULES.items()
        )
        if props.projected_accounts:
            alarms[facts.UNPROJECTED_ACCOUNTS] = self._rule_alarm(
                facts.UNPROJECTED_ACCOUNTS_RULE,
                props,
                period,
                f"The organization of trail {props.trail_name} has accounts the Athena table does not project: "
                "their log files are in the archive and no query sees them. The accounts are in the canary's log "
                f"group /aws/lambda/{name}; add each to trail.members in the config and redeploy (README, "
                "'Organization accounts added later').",
            )
        alarms["Errors"] = cloudwatch.Alarm(
            self,
            "ErrorsAlarm",
            alarm_name=alarm_name(props.trail_name, "canary-errors"),
            alarm_description=(
                f"A run of the {name} canary failed (a missing permission, an unreadable log file, a throttled API): "
                f"its report is in the log group /aws/lambda/{name}, the failed event in the queue {name}-failed-runs."
            ),
            metric=self.function.metric_errors(period=period, statistic="Sum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cloudwatch_actions.SnsAction(props.alarm_topic)
        for metric_name, alarm in alarms.items():
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            rule = facts.ALARM_RULES.get(metric_name)
            if rule is not None and rule.notify_insufficient_data:
                alarm.add_insufficient_data_action(action)
        return alarms

    def _rule_alarm(
        self, rule: facts.AlarmRule, props: DeliveryCanaryProps, period: Duration, description: str
    ) -> cloudwatch.Alarm:
        """The alarm of one :data:`ebtrail.core.canary.ALARM_RULES` entry (M of N with M = N)."""
        return cloudwatch.Alarm(
            self,
            f"{rule.metric}Alarm",
            alarm_name=alarm_name(props.trail_name, f"canary-{_kebab(rule.metric)}"),
            alarm_description=description,
            metric=cloudwatch.Metric(
                namespace=facts.NAMESPACE,
                metric_name=rule.metric,
                dimensions_map={facts.DIMENSION: props.trail_name},
                period=period,
                statistic=rule.statistic,
            ),
            threshold=rule.threshold,
            comparison_operator=cloudwatch.ComparisonOperator[_upper_snake(rule.comparison)],
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData[_upper_snake(rule.treat_missing)],
        )


def _projection_environment(props: DeliveryCanaryProps) -> dict[str, str]:
    """The projected accounts for the function, only when the canary checks them (other templates unchanged)."""
    if not props.projected_accounts:
        return {}
    return {facts.ENV_PROJECTED_ACCOUNTS: ",".join(sorted(props.projected_accounts))}


def _upper_snake(cloudformation_value: str) -> str:
    """``LessThanThreshold`` -> ``LESS_THAN_THRESHOLD``, ``notBreaching`` -> ``NOT_BREACHING``: the jsii enum member
    of a CloudFormation value."""
    return "".join(f"_{c}" if c.isupper() else c.upper() for c in cloudformation_value).lstrip("_")


def _integrity_descriptions(props: DeliveryCanaryProps) -> dict[str, str]:
    """What the hourly integrity check's alarms (:data:`ebtrail.core.canary.INTEGRITY_ALARM_RULES`,
    :mod:`ebtrail.lambdas.canary_integrity`) mean: a modified or missing file, and a region whose digest is
    overdue."""
    name = props.function_name
    return {
        facts.INTEGRITY_FAILURES: f"A digest or log file of trail {props.trail_name} delivered since the canary's "
        "previous run was modified or deleted, or a digest no longer links to the previous one (signature, SHA-256 "
        f'or chain). The files and reasons are in the canary\'s log group /aws/lambda/{name} ("integrity"); prove '
        f"the range with 'ebtrail-verify integrity --trail {props.trail_name} --since ... --all-regions'.",
        facts.DIGESTS_LATE: f"No digest file of trail {props.trail_name} in a region for more than "
        f"{int(facts.DIGEST_OVERDUE.total_seconds() // 60)} minutes (CloudTrail delivers one per region per hour "
        "while log file validation is on): validation was turned off, logging stopped, or digests are being "
        f"deleted. The region is in the canary's log group /aws/lambda/{name}; check TrailLogging, ConfigDrift "
        "and LatestDigestDeliveryError.",
    }


def _kebab(metric_name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in metric_name).lstrip("-")


def _wildcard_reasons(statements: list[iam.PolicyStatement], log_group_arn: str) -> dict[str, str]:
    """Why each wildcard resource of the canary's policy is needed (cdk-nag AwsSolutions-IAM5)."""
    reasons = {
        "ReadTrail": "Read-only CloudTrail calls on the trail; the organization trail belongs to the management "
        "account, and the resource is checked by name.",
        "ProbeApplication": f"Each probe application gets a unique name under the {RESOURCE_PREFIX} prefix.",
        "ListLogPrefix": "Listing is limited by the s3:prefix condition to the trail's AWSLogs/ folder.",
        "ReadLogFiles": "Log file names are generated by CloudTrail under the trail's AWSLogs/ folder.",
        "DecryptLogFiles": "The log key's ID is unknown here; kms:ResourceAliases pins it to the log key's alias.",
        "DescribeLogKey": "The log key's ID is unknown here; kms:ResourceAliases pins it to the log key's alias.",
        "DigestPublicKeys": "cloudtrail:ListPublicKeys supports no resource-level permissions (Service Authorization "
        "Reference, 'Actions, resources, and condition keys for AWS CloudTrail'): the public keys are public.",
        "PublishCanaryMetrics": "cloudwatch:PutMetricData supports no resource-level permissions; the "
        "cloudwatch:namespace condition keeps it to the canary's namespace.",
        "ListOrganizationAccounts": "organizations:ListAccounts supports no resource-level permissions (Service "
        "Authorization Reference, 'Actions, resources, and condition keys for AWS Organizations'); read-only.",
        "WriteOwnLogGroup": f"Log streams of the function's own log group {log_group_arn}.",
    }
    out: dict[str, list[str]] = {}
    for statement in statements:
        for resource in statement.resources:
            if "*" in resource:
                out.setdefault(resource, []).append(reasons[str(statement.sid)])
    return {resource: " ".join(why) for resource, why in out.items()}
