"""The delivery canary's Lambda function: the verifier's canary handler, run once per period.

A part of :class:`~ebtrail.constructs.delivery_canary.DeliveryCanary`: a plain class adding its resource to the
canary's scope, so its construct path and logical ID are those the canary always had (see
:mod:`ebtrail.constructs.delivery_canary_logs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.lambda_bundle import lambda_code
from ebtrail.core import canary as facts

#: Lambda's Python runtime (the verifier needs 3.11 or later); arm64 costs less per GB-second than x86_64.
RUNTIME = lambda_.Runtime.PYTHON_3_14
#: One run lists and reads an hour of log files of one region folder (bench/canary_bench.py: well under
#: a minute against 2,000 earlier files); shorter than the smallest period (15 minutes), so runs cannot overlap.
TIMEOUT = Duration.minutes(5)
MEMORY_MB = 256


@dataclass(frozen=True)
class CanaryFunctionProps:
    """The function's name and settings, and the canary's other parts it uses."""

    function_name: str
    description: str
    #: The handler's settings (``EBTRAIL_*`` variables of :mod:`ebtrail.core.canary`).
    environment: Mapping[str, str]
    #: The canary's role and the managed policy that holds every grant: the function runs only after the policy is
    #: attached, and gets no inline policy of its own.
    role: iam.Role
    policy: iam.ManagedPolicy
    #: Where the function logs (:class:`~ebtrail.constructs.delivery_canary_logs.CanaryLogGroup`).
    log_group: logs.ILogGroup
    #: Where a failed run goes (:class:`~ebtrail.constructs.delivery_canary_logs.CanaryFailedRuns`).
    dead_letter_queue: sqs.IQueue
    #: Default: :data:`RUNTIME` (Python 3.14).
    runtime: lambda_.Runtime = field(default=RUNTIME)
    #: Default: :data:`TIMEOUT` (5 minutes).
    timeout: Duration = field(default=TIMEOUT)
    #: Default: :data:`MEMORY_MB` (256).
    memory_size: int = MEMORY_MB


class CanaryFunction:
    """A Python function on arm64 running :data:`ebtrail.core.canary.HANDLER` from the bundled package.

    No retry (``retry_attempts=0``): Scheduler invokes Lambda asynchronously, so a failed run is Lambda's to retry,
    and a retry would make a second probe in the same period; the event goes to the dead-letter queue instead. No
    reserved concurrency: Lambda keeps a minimum of unreserved concurrency per account, so reserving any fails to
    deploy in accounts with a low quota. Not in a VPC (acknowledged, with the reason). Adds ``Function`` to
    ``scope``.
    """

    def __init__(self, scope: Construct, props: CanaryFunctionProps) -> None:
        self.function = lambda_.Function(
            scope,
            "Function",
            function_name=props.function_name,
            description=props.description,
            runtime=props.runtime,
            architecture=lambda_.Architecture.ARM_64,
            handler=facts.HANDLER,
            code=lambda_code(),
            timeout=props.timeout,
            memory_size=props.memory_size,
            # Every grant is in the managed policy; no inline default policy next to it.
            role=props.role.without_policy_updates(),
            log_group=props.log_group,
            dead_letter_queue=props.dead_letter_queue,
            retry_attempts=0,
            environment=dict(props.environment),
        )
        # The function must not run before its policy is attached. aws-cdk-lib also makes it depend on the role,
        # which its Role property already implies (cfn-lint W3005): name only the policy.
        cfn_function = self.function.node.default_child
        cfn_policy = props.policy.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction) and isinstance(cfn_policy, iam.CfnManagedPolicy)
        cfn_function.add_override("DependsOn", [Stack.of(scope).get_logical_id(cfn_policy)])
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
