"""The delivery canary's clock: an EventBridge Scheduler schedule and the role it invokes the function with.

A part of :class:`~ebtrail.constructs.delivery_canary.DeliveryCanary`: a plain class adding its resources to the
canary's scope, so their construct paths and logical IDs are those the canary always had (see
:mod:`ebtrail.constructs.delivery_canary_logs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

#: How long Scheduler keeps retrying an invocation it could not hand to Lambda (throttling, a missing
#: permission) before it goes to the dead-letter queue; shorter than the smallest period.
SCHEDULER_MAX_EVENT_AGE_SECONDS = 600
#: How many times Scheduler retries such an invocation within that age.
SCHEDULER_MAX_RETRY_ATTEMPTS = 3


@dataclass(frozen=True)
class CanaryScheduleProps:
    """What runs, how often, and where an invocation that cannot be delivered goes."""

    #: Name of the schedule (in the account's ``default`` schedule group).
    schedule_name: str
    #: The trail the canary proves (the schedule's description).
    trail_name: str
    #: Minutes between two runs (``rate(<n> minutes)``).
    rate_minutes: int
    #: Partition, account and region of the schedule group the execution role trusts.
    partition: str
    account: str
    region: str
    #: The canary's function, and its name as a plain string (the descriptions name it).
    function: lambda_.IFunction
    function_name: str
    dead_letter_queue: sqs.IQueue
    #: Default: :data:`SCHEDULER_MAX_EVENT_AGE_SECONDS` (10 minutes).
    max_event_age_seconds: int = SCHEDULER_MAX_EVENT_AGE_SECONDS
    #: Default: :data:`SCHEDULER_MAX_RETRY_ATTEMPTS` (3).
    max_retry_attempts: int = SCHEDULER_MAX_RETRY_ATTEMPTS


class CanarySchedule:
    """An ``AWS::Scheduler::Schedule`` (flexible window off, so each period gets its run) and its execution role.

    Scheduler rather than an EventBridge rule: a schedule has a dead-letter queue and a retry policy of its own
    ("Configuring a schedule's dead-letter queue", EventBridge Scheduler User Guide). The role may only invoke this
    function and send to the dead-letter queue, and trusts ``scheduler.amazonaws.com`` only for this account's
    default schedule group (``aws:SourceAccount``, ``aws:SourceArn``; "Set up the execution role", same guide).
    The schedule waits for the role's policy, so its first invocation is allowed. Adds ``SchedulerRole``,
    ``SchedulerPolicy`` and ``Schedule`` to ``scope``.
    """

    def __init__(self, scope: Construct, props: CanaryScheduleProps) -> None:
        schedule_group_arn = f"arn:{props.partition}:scheduler:{props.region}:{props.account}:schedule-group/default"
        self.role = iam.Role(
            scope,
            "SchedulerRole",
            assumed_by=iam.PrincipalWithConditions(
                iam.ServicePrincipal("scheduler.amazonaws.com"),
                {
                    "StringEquals": {"aws:SourceAccount": props.account},
                    "ArnEquals": {"aws:SourceArn": schedule_group_arn},
                },
            ),
            description=f"Lets EventBridge Scheduler invoke the {props.function_name} function",
        )
        self.policy = iam.ManagedPolicy(
            scope,
            "SchedulerPolicy",
            description=f"What EventBridge Scheduler needs to run the {props.function_name} function",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeCanary",
                    actions=["lambda:InvokeFunction"],
                    resources=[props.function.function_arn],
                ),
                iam.PolicyStatement(
                    sid="SendFailedInvocations",
                    actions=["sqs:SendMessage"],
                    resources=[props.dead_letter_queue.queue_arn],
                ),
            ],
            roles=[self.role],
        )
        self.schedule = scheduler.CfnSchedule(
            scope,
            "Schedule",
            name=props.schedule_name,
            description=f"Runs the ebtrail delivery canary of trail {props.trail_name}",
            schedule_expression=f"rate({props.rate_minutes} minutes)",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=props.function.function_arn,
                role_arn=self.role.role_arn,
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=props.dead_letter_queue.queue_arn
                ),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=props.max_event_age_seconds,
                    maximum_retry_attempts=props.max_retry_attempts,
                ),
            ),
        )
        self.schedule.node.add_dependency(self.policy)
