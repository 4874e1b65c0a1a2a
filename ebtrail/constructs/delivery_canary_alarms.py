"""The delivery canary's alarms: one per metric the canary publishes, and one on the function's own errors.

A part of :class:`~ebtrail.constructs.delivery_canary.DeliveryCanary`: a plain class adding its resources to the
canary's scope, so their construct paths and logical IDs are those the canary always had (see
:mod:`ebtrail.constructs.delivery_canary_logs`). The thresholds and missing-data treatment are facts of
:mod:`ebtrail.core.canary` (``ALARM_RULES``), shared with the handler that publishes the metrics; this module only
words the descriptions and wires the actions.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from ebtrail.core import canary as facts
from ebtrail.core.names import alarm_name


@dataclass(frozen=True)
class CanaryAlarmsProps:
    """What the alarms watch, where they notify, and what their descriptions tell the reader."""

    #: The trail the canary proves: its name is the metrics' dimension and the alarms' name prefix
    #: (:func:`~ebtrail.core.names.alarm_name` ``(trail_name, "canary-...")``); its ARN is in the descriptions.
    trail_name: str
    trail_arn: str
    #: The canary's function (the ``Errors`` alarm) and its name as a plain string (the descriptions name it, its
    #: log group ``/aws/lambda/<name>`` and its queue ``<name>-failed-runs``).
    function: lambda_.IFunction
    function_name: str
    #: The alert topic: every alarm publishes its ALARM and OK there (and INSUFFICIENT_DATA where the rule says so).
    #: Its policies must let CloudWatch alarms publish.
    alarm_topic: sns.ITopic
    #: Minutes between two runs: the alarms' period.
    rate_minutes: int
    #: How long a probe may take to arrive (the ``ProbeArrived`` description).
    max_delivery_minutes: int
    #: True: also the ``UnprojectedAccounts`` alarm (an organization trail with Athena). Default: False.
    unprojected_accounts: bool = False


class CanaryAlarms:
    """Alarms to the alert topic, rendered from :data:`ebtrail.core.canary.ALARM_RULES` (M of N with M = N).

    ``ProbeArrived`` < 1 (missing data not breaching, so a fresh deploy does not alarm); ``CanaryRan`` (the
    heartbeat every run publishes: a dead canary notifies through INSUFFICIENT_DATA); ``TrailLogging`` < 1;
    ``ConfigDrift`` >= 1; ``DeliveryErrors`` >= 1; ``IntegrityFailures`` >= 1 and ``DigestsLate`` >= 1 (the hourly
    integrity check); ``UnprojectedAccounts`` >= 1 when asked for; and the function's own ``Errors``. Each
    description says what failed and where to look, since the notification is all an operator sees first.
    :attr:`alarms` maps the metric name (``Errors`` for the function's) to its alarm. Adds ``<Metric>Alarm`` and
    ``ErrorsAlarm`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: CanaryAlarmsProps) -> None:
        self._scope = scope
        self._props = props
        period = Duration.minutes(props.rate_minutes)
        descriptions = {**_probe_descriptions(props), **_integrity_descriptions(props)}
        alarms = {
            metric_name: self._rule_alarm(rule, period, descriptions[metric_name])
            for metric_name, rule in (*facts.ALARM_RULES.items(), *facts.INTEGRITY_ALARM_RULES.items())
        }
        name = props.function_name
        if props.unprojected_accounts:
            alarms[facts.UNPROJECTED_ACCOUNTS] = self._rule_alarm(
                facts.UNPROJECTED_ACCOUNTS_RULE,
                period,
                f"The organization of trail {props.trail_name} has accounts the Athena table does not project: "
                "their log files are in the archive and no query sees them. The accounts are in the canary's log "
                f"group /aws/lambda/{name}; add each to trail.members in the config and redeploy (README, "
                "'Organization accounts added later').",
            )
        alarms["Errors"] = cloudwatch.Alarm(
            scope,
            "ErrorsAlarm",
            alarm_name=alarm_name(props.trail_name, "canary-errors"),
            alarm_description=(
                f"A run of the {name} canary failed (a missing permission, an unreadable log file, a throttled API): "
                f"its report is in the log group /aws/lambda/{name}, the failed event in the queue {name}-failed-runs."
            ),
            metric=props.function.metric_errors(period=period, statistic="Sum"),
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
        self.alarms = alarms

    def _rule_alarm(self, rule: facts.AlarmRule, period: Duration, description: str) -> cloudwatch.Alarm:
        """The alarm of one :data:`ebtrail.core.canary.ALARM_RULES` entry (M of N with M = N)."""
        trail_name = self._props.trail_name
        return cloudwatch.Alarm(
            self._scope,
            f"{rule.metric}Alarm",
            alarm_name=alarm_name(trail_name, f"canary-{_kebab(rule.metric)}"),
            alarm_description=description,
            metric=cloudwatch.Metric(
                namespace=facts.NAMESPACE,
                metric_name=rule.metric,
                dimensions_map={facts.DIMENSION: trail_name},
                period=period,
                statistic=rule.statistic,
            ),
            threshold=rule.threshold,
            comparison_operator=cloudwatch.ComparisonOperator[_upper_snake(rule.comparison)],
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData[_upper_snake(rule.treat_missing)],
        )


def _probe_descriptions(props: CanaryAlarmsProps) -> dict[str, str]:
    """What the alarms of :data:`ebtrail.core.canary.ALARM_RULES` mean, and where to look."""
    name = props.function_name
    return {
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


def _integrity_descriptions(props: CanaryAlarmsProps) -> dict[str, str]:
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


def _upper_snake(cloudformation_value: str) -> str:
    """``LessThanThreshold`` -> ``LESS_THAN_THRESHOLD``, ``notBreaching`` -> ``NOT_BREACHING``: the jsii enum member
    of a CloudFormation value."""
    return "".join(f"_{c}" if c.isupper() else c.upper() for c in cloudformation_value).lstrip("_")


def _kebab(metric_name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in metric_name).lstrip("-")
