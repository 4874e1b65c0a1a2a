"""Preflight of every service-to-resource wire of a cloud assembly: each request a service makes along a wire,
with the request context AWS documents for it, evaluated against the policies that decide it.

Hops are discovered from the templates, never listed per config, so a new wire is checked (or reported as
"cannot evaluate") without touching this module:

===========================================  ==============================================================
Template property                            Hop kind
===========================================  ==============================================================
``AWS::CloudWatch::Alarm`` ``*Actions``      CloudWatch alarm -> SNS topic (topic policy, topic key policy)
``AWS::Events::Rule`` ``Targets``            EventBridge rule -> SNS topic (topic and key policies); with a
                                             ``RoleArn``: EventBridge rule -> <service> (trust, role policy)
``AWS::Scheduler::Schedule`` ``Target``      EventBridge Scheduler -> <service> (trust, role policy) and
                                             -> SQS dead-letter queue (role policy, queue policy, key)
``AWS::Lambda::Function`` ``DeadLetterConfig``, ``AWS::Lambda::EventInvokeConfig`` destinations
                                             Lambda function -> <service> (execution role, queue policy, key)
``AWS::CloudTrail::Trail`` ``CloudWatchLogs*``  CloudTrail -> CloudWatch Logs (trust, role policy)
``AWS::Logs::LogGroup`` ``KmsKeyId``         CloudWatch Logs log group -> KMS key (key policy)
``AWS::KinesisFirehose::DeliveryStream`` S3 destination
                                             Firehose stream -> S3 bucket (trust, role policy, bucket policy
                                             and key policy when the archive is in another account)
``AWS::StepFunctions::StateMachine``         Step Functions state machine -> its tasks (trust; Lambda invoke,
                                             Distributed Map ItemReader and ResultWriter: role, bucket and key
                                             policies); any other task is "cannot evaluate"
===========================================  ==============================================================

Each request follows the page of AWS's documentation cited where it is built. A wire whose request is not
modelled, or whose policies cannot be read, is "cannot evaluate", never a pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ebtrail.core.cloudtrail_layout import log_stream_name
from ebtrail.core.iam import Principal, Request
from ebtrail.core.regions import cloudtrail_regions, dns_suffix
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.preflight.access import (
    Judged,
    Role,
    Uncertain,
    resource_decision,
    role_to_resource,
    trust_decision,
    with_uncertain,
)
from ebtrail.verifier.preflight.assembly import Assembly, Located, Stack, UnresolvableError, read_stacks
from ebtrail.verifier.preflight.cloudtrail_requests import MEMBER_STAND_IN
from ebtrail.verifier.preflight.wires import Wires, props, resolver

CLOUDWATCH = Principal("Service", "cloudwatch.amazonaws.com")
EVENTS = Principal("Service", "events.amazonaws.com")
SCHEDULER = Principal("Service", "scheduler.amazonaws.com")
CLOUDTRAIL = Principal("Service", "cloudtrail.amazonaws.com")
FIREHOSE = Principal("Service", "firehose.amazonaws.com")
STATES = Principal("Service", "states.amazonaws.com")
#: Metadata of a state machine whose Distributed Map lists a prefix given in the execution's input: a sample of
#: that prefix, for the ItemReader's ``s3:ListBucket`` request.
SAMPLE_PREFIX_METADATA = "ebtrail:SampleItemReaderPrefix"
TLS = {"aws:SecureTransport": "true"}
#: A source in another account with the same name: a confused deputy every resource policy must refuse.
FOREIGN_ACCOUNT = "999988887777"
#: A sample delivery time for object keys (the policies must not depend on it).
_DAY, _TIME, _UUID = "2026/11/27", "2026-11-27-12-05-00", "6f1c2c3e-0d3a-4b8e-9a51-2f0c7d4e8b10"
#: File extensions Firehose adds by compression format ("Configure Amazon S3 object name format").
_EXTENSIONS = {"GZIP": ".gz", "ZIP": ".zip", "Snappy": ".snappy", "HADOOP_SNAPPY": ".snappy"}

#: What a role-based target's service is asked for, by the service of the target's ARN.
#: EventBridge: "Using identity-based policies for Amazon EventBridge"
#: (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html) grants Firehose
#: ``firehose:PutRecord``/``PutRecordBatch`` and Kinesis ``kinesis:PutRecord``; EventBridge Scheduler: "Set up
#: the execution role" (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html) grants
#: ``lambda:InvokeFunction`` and, for a dead-letter queue, ``sqs:SendMessage``; Lambda: "Retaining records of
#: asynchronous invocations" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)
#: asks the execution role for ``sqs:SendMessage``, ``sns:Publish``, ``lambda:InvokeFunction`` or
#: ``events:PutEvents`` by destination.
ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "firehose": ("firehose:PutRecord", "firehose:PutRecordBatch"),
    "kinesis": ("kinesis:PutRecord", "kinesis:PutRecords"),
    "lambda": ("lambda:InvokeFunction",),
    "sqs": ("sqs:SendMessage",),
    "sns": ("sns:Publish",),
    "events": ("events:PutEvents",),
    "states": ("states:StartExecution",),
}
SERVICE_NAMES = {
    "firehose": "Firehose stream",
    "kinesis": "Kinesis stream",
    "lambda": "Lambda function",
    "sqs": "SQS queue",
    "sns": "SNS topic",
    "events": "event bus",
    "states": "Step Functions state machine",
}


@dataclass
class HopReport:
    """One wire: its kind, where it starts and ends, the requests evaluated along it."""

    kind: str
    source: str
    target: str
    results: list[Judged] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, policy: str, label: str, request: Request, decision: Any, *, must_allow: bool = True) -> None:
        self.results.append(Judged(policy, label, request, decision, must_allow))

    @property
    def failures(self) -> list[Judged]:
        return [r for r in self.results if r.ok is False]

    @property
    def unknown(self) -> list[Judged]:
        return [r for r in self.results if r.ok is None]

    @property
    def exit_code(self) -> ExitCode:
        if self.failures:
            return ExitCode.FAIL
        if self.unknown or self.problems or not self.results:
            return ExitCode.CANNOT_EVALUATE
        return ExitCode.PASS

    def lines(self) -> list[str]:
        """Each failing or unevaluable request, and each problem, as one line."""
        return [r.explain() for r in self.failures + self.unknown] + self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "verdict": VERDICT_WORDS[self.exit_code],
            "exit_code": int(self.exit_code),
            "requests": len(self.results),
            "problems": self.problems,
            "failures": [r.explain() for r in self.failures],
            "cannot_evaluate": [r.explain() for r in self.unknown],
            "checks": [
                {
                    "policy": r.policy,
                    "request": r.label,
                    "principal": r.request.principal.identifier,
                    "action": r.request.action,
                    "resource": r.request.resource,
                    "context": dict(r.request.context),
                    "must_be": "allowed" if r.must_allow else "denied",
                    "verdict": r.decision.verdict.value,
                    "statements": list(r.decision.statements),
                    "ok": r.ok,
                }
                for r in self.results
            ],
        }


VERDICT_WORDS = {ExitCode.PASS: "pass", ExitCode.FAIL: "fail", ExitCode.CANNOT_EVALUATE: "cannot evaluate"}


def overall(reports: list[HopReport]) -> ExitCode:
    codes = {r.exit_code for r in reports}
    for code in (ExitCode.FAIL, ExitCode.CANNOT_EVALUATE):
        if code in codes:
            return code
    return ExitCode.PASS


def counts(reports: list[HopReport]) -> dict[str, int]:
    """Hops per kind, sorted by kind."""
    return dict(sorted(Counter(r.kind for r in reports).items()))


def kind_verdicts(reports: list[HopReport]) -> dict[str, str]:
    return {kind: VERDICT_WORDS[overall([r for r in reports if r.kind == kind])] for kind in counts(reports)}


def hops_from_assembly(cloud_assembly: Path) -> list[HopReport]:
    """Every hop of a synthesized cloud assembly (``cdk.out``), evaluated offline."""
    return preflight_hops(Assembly(read_stacks(cloud_assembly)))


def preflight_hops(assembly: Assembly) -> list[HopReport]:
    """Every hop of the assembly, evaluated."""
    wires = Wires(assembly)
    reports: list[HopReport] = []
    for find in (_alarms, _rules, _schedules, _functions, _trails, _log_groups, _firehose_streams, _state_machines):
        reports += find(wires)
    return reports


# ---------------------------------------------------------------------------------------------------------
# Shared legs


def _regional(stack: Stack, service: str) -> str:
    """``<service>.<region>.<DNS suffix>`` of the stack's region: the CloudWatch Logs principal and the
    ``kms:ViaService`` value the service sends (:func:`ebtrail.core.regions.regional_service_name`), modelled from
    the partition, not copied from the template, so a template that hardcodes ``amazonaws.com`` fails in
    ``aws-cn`` and the ISO partitions."""
    return f"{service}.{stack.region}.{dns_suffix(stack.partition)}"


def _service_of(arn: str | None) -> str:
    parts = (arn or "").split(":")
    return parts[2] if len(parts) > 5 else "?"


def _foreign(arn: str) -> str:
    parts = arn.split(":", 5)
    return ":".join([*parts[:4], FOREIGN_ACCOUNT, parts[5]]) if len(parts) == 6 else arn


def _topic_leg(wires: Wires, report: HopReport, principal: Principal, topic: Located, source_arn: str) -> None:
    """A service principal publishing to a topic of its account, and the topic's KMS key.

    Topic policy: a service principal acting for one of our resources sends ``aws:SourceArn`` (that alarm or
    rule) and ``aws:SourceAccount`` ("AWS global condition context keys", IAM User Guide,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn);
    for EventBridge also "Using resource-based policies for Amazon EventBridge", Amazon SNS permissions
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
    Key policy: "Enable compatibility between event sources from AWS services and encrypted topics" (Amazon SNS
    Developer Guide, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services)
    asks for ``kms:GenerateDataKey*`` and ``kms:Decrypt`` for the service principal, and the same guide says the
    source keys are not supported there for EventBridge: the KMS requests are modelled without them, so a key
    policy that requires them fails here instead of dropping every notification after the deploy.
    """
    topic_arn = wires.arn_of(topic)
    if topic_arn is None:
        report.problems.append(f"topic {topic.logical_id} has no name known before the deploy")
        return
    policy = wires.assembly.topic_policy(topic)
    source_account = source_arn.split(":")[4]
    ok = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account, **TLS}
    publish = Request(principal, "sns:Publish", topic_arn, ok)
    report.add("topic policy", "Publish", publish, resource_decision(policy, publish, "topic policy"))
    foreign = replace(
        publish, context={**ok, "aws:SourceArn": _foreign(source_arn), "aws:SourceAccount": FOREIGN_ACCOUNT}
    )
    report.add(
        "topic policy",
        "Publish by the same name in another account",
        foreign,
        resource_decision(policy, foreign, "topic policy"),
        must_allow=False,
    )
    master = props(topic).get("KmsMasterKeyId")
    if master is None:
        return
    _key, key_arn, key_policy, problem = wires.key(topic.stack, master)
    if key_arn is None:
        report.problems.append(f"topic key of {topic_arn}: {problem}")
        return
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        request = Request(principal, action, key_arn, dict(TLS))
        report.add(
            "topic key policy",
            f"{action} (encrypted topic)",
            request,
            resource_decision(key_policy, request, "topic key policy"),
        )


def _role(wires: Wires, stack: Stack, value: Any, report: HopReport) -> Role | None:
    found, arn, problem = wires.target(stack, value)
    if found is None or found.resource.get("Type") != "AWS::IAM::Role":
        report.problems.append(f"role {arn or value}: {problem or 'not an IAM role of the assembly'}")
        return None
    return wires.role(found)


def _assume(
    report: HopReport,
    role: Role,
    principal: Principal,
    context: dict[str, str],
    *,
    uncertain: Uncertain | None = None,
    foreign: dict[str, str] | None = None,
) -> None:
    """The service assuming the role (trust policy), and the same request from another account refused."""
    resource = role.arn or role.principal.identifier
    request = Request(principal, "sts:AssumeRole", resource, {**TLS, **context})
    decision = with_uncertain(lambda r: trust_decision(role, r), request, uncertain)
    report.add("trust policy", f"AssumeRole by {principal.identifier}", request, decision)
    if foreign is not None:
        other = replace(request, context={**TLS, **foreign})
        report.add(
            "trust policy",
            "AssumeRole for another account",
            other,
            trust_decision(role, other),
            must_allow=False,
        )


def _role_actions(
    report: HopReport,
    role: Role,
    target_arn: str,
    actions: tuple[str, ...],
    resource_policy: Any = None,
    *,
    resource_account: str | None = None,
    policy_name: str = "",
) -> None:
    for action in actions:
        request = Request(role.principal, action, target_arn, {**role.context(), **TLS})
        decision = role_to_resource(
            role,
            request,
            resource_policy,
            resource_account=resource_account or role.account,
            policy_name=policy_name,
        )
        label = "role policy" + (f" + {policy_name}" if policy_name else "")
        report.add(label, action, request, decision)


def _queue_leg(wires: Wires, report: HopReport, role: Role, queue: Located, action: str = "sqs:SendMessage") -> None:
    """A role sending to a queue: role policy, queue policy, and the queue's KMS key ("Key management" in the
    Amazon SQS Developer Guide, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html:
    a producer needs ``kms:GenerateDataKey`` and ``kms:Decrypt``; ``SqsManagedSseEnabled`` needs nothing)."""
    queue_arn = wires.arn_of(queue)
    if queue_arn is None:
        report.problems.append(f"queue {queue.logical_id} has no name known before the deploy")
        return
    policy, problem = wires.queue_policy(queue)
    if problem:
        report.problems.append(problem)
        return
    _role_actions(
        report,
        role,
        queue_arn,
        (action,),
        policy,
        resource_account=queue.stack.account,
        policy_name="queue policy" if policy else "",
    )
    master = props(queue).get("KmsMasterKeyId")
    if master is None:
        return
    _key, key_arn, key_policy, problem = wires.key(queue.stack, master)
    if key_arn is None:
        report.problems.append(f"queue key: {problem}")
        return
    via = {"kms:ViaService": _regional(queue.stack, "sqs")}
    for kms_action in ("kms:GenerateDataKey", "kms:Decrypt"):
        request = Request(role.principal, kms_action, key_arn, {**role.context(), **TLS, **via})
        decision = role_to_resource(
            role, request, key_policy, resource_account=key_arn.split(":")[4], policy_name="queue key policy", key=True
        )
        report.add("role policy + queue key policy", kms_action, request, decision)


def _role_target(wires: Wires, report: HopReport, role: Role, stack: Stack, target_value: Any) -> None:
    """A role calling the target of a wire: the action by the target's service, against its policies."""
    found, arn, problem = wires.target(stack, target_value)
    service = _service_of(arn)
    if found is not None and found.resource.get("Type") == "AWS::SQS::Queue":
        _queue_leg(wires, report, role, found)
        return
    actions = ROLE_ACTIONS.get(service)
    if arn is None or actions is None:
        report.problems.append(
            f"target {arn or target_value}: {problem or f'no documented request modelled for {service}'}"
        )
        return
    if found is None and arn.split(":")[4] != role.account:
        report.problems.append(f"target {arn} is in another account and not in the assembly: its policy is unknown")
        return
    _role_actions(report, role, arn, actions)


# ---------------------------------------------------------------------------------------------------------
# CloudWatch alarms


def _alarms(wires: Wires) -> list[HopReport]:
    reports = []
    for alarm in wires.assembly.of_type("AWS::CloudWatch::Alarm"):
        alarm_arn = wires.arn_of(alarm)
        actions: list[Any] = []
        for prop in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            actions += [a for a in props(alarm).get(prop, []) if a not in actions]
        for action in actions:
            found, arn, problem = wires.target(alarm.stack, action)
            report = HopReport("CloudWatch alarm -> SNS topic", alarm_arn or alarm.logical_id, arn or str(action))
            reports.append(report)
            if alarm_arn is None:
                report.problems.append(f"alarm {alarm.logical_id} has no AlarmName: its aws:SourceArn is unknown")
            elif found is not None and found.resource.get("Type") == "AWS::SNS::Topic":
                _topic_leg(wires, report, CLOUDWATCH, found, alarm_arn)
            else:
                report.kind = f"CloudWatch alarm -> {SERVICE_NAMES.get(_service_of(arn), _service_of(arn))}"
                report.problems.append(f"alarm action {arn or action}: {problem or 'not a topic of the assembly'}")
    return reports


# ---------------------------------------------------------------------------------------------------------
# EventBridge rules and schedules


def _rules(wires: Wires) -> list[HopReport]:
    reports = []
    for rule in wires.assembly.of_type("AWS::Events::Rule"):
        rule_arn = wires.arn_of(rule)
        for target in props(rule).get("Targets", []):
            found, arn, problem = wires.target(rule.stack, target.get("Arn"))
            service = _service_of(arn)
            kind = f"EventBridge rule -> {SERVICE_NAMES.get(service, service)}"
            report = HopReport(kind, rule_arn or rule.logical_id, arn or str(target.get("Arn")))
            reports.append(report)
            if rule_arn is None:
                report.problems.append(f"rule {rule.logical_id} has no Name: its aws:SourceArn is unknown")
                continue
            if "DeadLetterConfig" in target:
                report.problems.append("the target's dead-letter queue is not modelled by the preflight")
            if "RoleArn" in target:
                role = _role(wires, rule.stack, target["RoleArn"], report)
                if role is None:
                    continue
                # "Using identity-based policies for Amazon EventBridge" (eb-use-identity-based.html, above) and
                # "AWS global condition context keys" (IAM): EventBridge assumes the role for the rule, with
                # aws:SourceArn = the rule and aws:SourceAccount = its account.
                source = {"aws:SourceArn": rule_arn, "aws:SourceAccount": rule.stack.account}
                foreign = {"aws:SourceArn": _foreign(rule_arn), "aws:SourceAccount": FOREIGN_ACCOUNT}
                _assume(report, role, EVENTS, source, foreign=foreign)
                _role_target(wires, report, role, rule.stack, target.get("Arn"))
            elif found is not None and found.resource.get("Type") == "AWS::SNS::Topic":
                _topic_leg(wires, report, EVENTS, found, rule_arn)
            else:
                report.problems.append(
                    f"target {arn}: {problem or f'the resource policy of a {service} target is not modelled'}"
                )
    return reports


def _schedules(wires: Wires) -> list[HopReport]:
    """EventBridge Scheduler: "Set up the execution role" (EventBridge Scheduler User Guide,
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role): Scheduler
    assumes the role with ``aws:SourceAccount`` and ``aws:SourceArn`` = the schedule group's ARN, then calls the
    target (``lambda:InvokeFunction``) and, for undelivered events, ``sqs:SendMessage`` on the dead-letter queue
    ("Configuring a dead-letter queue", https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html)."""
    reports = []
    for schedule in wires.assembly.of_type("AWS::Scheduler::Schedule"):
        target = props(schedule).get("Target", {})
        schedule_arn = wires.arn_of(schedule) or schedule.logical_id
        group = props(schedule).get("GroupName", "default")
        s = schedule.stack
        group_arn = f"arn:{s.partition}:scheduler:{s.region}:{s.account}:schedule-group/{group}"
        legs = [("target", target.get("Arn"))]
        if "DeadLetterConfig" in target:
            legs.append(("dead-letter queue", target["DeadLetterConfig"].get("Arn")))
        for leg, value in legs:
            _found, arn, _problem = wires.target(s, value)
            service = _service_of(arn)
            name = SERVICE_NAMES.get(service, service)
            kind = f"EventBridge Scheduler -> {name}" + (" (dead-letter queue)" if leg != "target" else "")
            report = HopReport(kind, schedule_arn, arn or str(value))
            reports.append(report)
            role = _role(wires, s, target.get("RoleArn"), report)
            if role is None:
                continue
            source = {"aws:SourceArn": group_arn, "aws:SourceAccount": s.account}
            foreign = {"aws:SourceArn": _foreign(group_arn), "aws:SourceAccount": FOREIGN_ACCOUNT}
            _assume(report, role, SCHEDULER, source, foreign=foreign)
            _role_target(wires, report, role, s, value)
    return reports


# ---------------------------------------------------------------------------------------------------------
# Lambda functions


def _functions(wires: Wires) -> list[HopReport]:
    """A function's dead-letter queue and its asynchronous-invocation destinations, called with the function's
    execution role ("Retaining records of asynchronous invocations", AWS Lambda Developer Guide,
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)."""
    reports = []
    for function in wires.assembly.of_type("AWS::Lambda::Function"):
        values = []
        dead_letter = props(function).get("DeadLetterConfig", {}).get("TargetArn")
        if dead_letter is not None:
            values.append(("dead-letter queue", dead_letter))
        for config in wires.assembly.of_type("AWS::Lambda::EventInvokeConfig"):
            if config.stack is not function.stack or props(config).get("FunctionName") != {"Ref": function.logical_id}:
                continue
            destinations = props(config).get("DestinationConfig", {})
            for when in ("OnFailure", "OnSuccess"):
                if when in destinations:
                    values.append((f"{when} destination", destinations[when].get("Destination")))
        source = wires.arn_of(function) or function.logical_id
        for leg, value in values:
            _found, arn, _problem = wires.target(function.stack, value)
            service = _service_of(arn)
            report = HopReport(
                f"Lambda function -> {SERVICE_NAMES.get(service, service)} ({leg})", source, arn or str(value)
            )
            reports.append(report)
            role = _role(wires, function.stack, props(function).get("Role"), report)
            if role is not None:
                _role_target(wires, report, role, function.stack, value)
    return reports


# ---------------------------------------------------------------------------------------------------------
# CloudTrail to CloudWatch Logs


#: CloudTrail's AssumeRole of the CloudWatch Logs role: "Sending events to CloudWatch Logs" and "Role policy
#: document for CloudTrail to use CloudWatch Logs for monitoring" (CloudTrail User Guide,
#: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html)
#: show the trust policy without conditions, and AWS does not document that this request carries
#: ``aws:SourceArn``/``aws:SourceAccount``: a trust that needs them cannot be evaluated (issue 17 item 3) - it
#: would work only if CloudTrail sent them, for every account of an organization trail too.
CLOUDTRAIL_ASSUME_UNDOCUMENTED = (
    "AWS does not document CloudTrail sending them when it assumes the CloudWatch Logs role"
)


def _trails(wires: Wires) -> list[HopReport]:
    """CloudTrail -> CloudWatch Logs: the role's trust, and ``logs:CreateLogStream``/``logs:PutLogEvents`` on the
    streams CloudTrail writes ("Role policy document for CloudTrail to use CloudWatch Logs for monitoring",
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html:
    ``<account>_CloudTrail_<region>`` streams, and ``<organization ID>_<account>_CloudTrail_<region>`` for an
    organization trail's accounts)."""
    reports = []
    for trail in wires.assembly.of_type("AWS::CloudTrail::Trail"):
        p = props(trail)
        if "CloudWatchLogsLogGroupArn" not in p and "CloudWatchLogsRoleArn" not in p:
            continue
        s = trail.stack
        try:
            name = str(resolver(s).resolve(p.get("TrailName", trail.logical_id)))
        except UnresolvableError as exc:
            name = trail.logical_id
            problem: str | None = str(exc)
        else:
            problem = None
        trail_arn = f"arn:{s.partition}:cloudtrail:{s.region}:{s.account}:trail/{name}"
        _found, group_arn, group_problem = wires.target(s, p.get("CloudWatchLogsLogGroupArn"))
        report = HopReport(
            "CloudTrail -> CloudWatch Logs", trail_arn, group_arn or str(p.get("CloudWatchLogsLogGroupArn"))
        )
        reports.append(report)
        if problem or group_arn is None:
            report.problems.append(problem or f"log group: {group_problem or 'unknown'}")
            continue
        role = _role(wires, s, p.get("CloudWatchLogsRoleArn"), report)
        if role is None:
            continue
        undocumented = Uncertain(
            {"aws:SourceArn": trail_arn, "aws:SourceAccount": s.account}, CLOUDTRAIL_ASSUME_UNDOCUMENTED
        )
        _assume(report, role, CLOUDTRAIL, {}, uncertain=undocumented)
        group = group_arn.removesuffix(":*")
        multi = str(p.get("IsMultiRegionTrail")).lower() == "true"
        regions = cloudtrail_regions(s.partition) if multi else (s.region,)
        streams = [log_stream_name(s.account, region) for region in regions]
        if str(p.get("IsOrganizationTrail")).lower() == "true":
            org = trail.resource.get("Metadata", {}).get("ebtrail:OrganizationId")
            if org is None:
                report.problems.append(
                    "organization trail without ebtrail:OrganizationId metadata: its member streams are unknown"
                )
            else:
                streams += [log_stream_name(account, s.region, org) for account in (s.account, MEMBER_STAND_IN)]
        for stream in streams:
            _role_actions(report, role, f"{group}:log-stream:{stream}", ("logs:CreateLogStream", "logs:PutLogEvents"))
    return reports


# ---------------------------------------------------------------------------------------------------------
# CloudWatch Logs encryption


#: "Encrypt log data in CloudWatch Logs using AWS Key Management Service" (Amazon CloudWatch Logs User Guide,
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the key policy lets
#: ``logs.<region>.amazonaws.com`` (the partition's DNS suffix outside ``aws``: :func:`_regional`) ``kms:Encrypt*``,
#: ``kms:Decrypt*``, ``kms:ReEncrypt*``,
#: ``kms:GenerateDataKey*`` and ``kms:Describe*``, with ``kms:EncryptionContext:aws:logs:arn`` = the log group.
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
)


def _log_groups(wires: Wires) -> list[HopReport]:
    reports = []
    for group in wires.assembly.of_type("AWS::Logs::LogGroup"):
        p = props(group)
        if "KmsKeyId" not in p:
            continue
        group_arn = (wires.arn_of(group) or "").removesuffix(":*")
        _key, key_arn, key_policy, problem = wires.key(group.stack, p["KmsKeyId"])
        report = HopReport(
            "CloudWatch Logs log group -> KMS key", group_arn or group.logical_id, key_arn or str(p["KmsKeyId"])
        )
        reports.append(report)
        if not group_arn or key_arn is None:
            report.problems.append(problem or f"log group {group.logical_id} has no name known before the deploy")
            continue
        logs = Principal("Service", _regional(group.stack, "logs"))
        context_key = "kms:EncryptionContext:aws:logs:arn"
        for action in LOGS_KEY_ACTIONS:
            request = Request(logs, action, key_arn, {context_key: group_arn, **TLS})
            report.add("log group key policy", action, request, resource_decision(key_policy, request, "key policy"))
        other = Request(logs, "kms:GenerateDataKey", key_arn, {context_key: f"{group_arn}-other", **TLS})
        report.add(
            "log group key policy",
            "GenerateDataKey for another log group",
            other,
            resource_decision(key_policy, other, "key policy"),
            must_allow=False,
        )
    return reports


# ---------------------------------------------------------------------------------------------------------
# Firehose to S3


def sample_key(prefix: str | None, stream: str, extension: str = "") -> str | None:
    """An object key Firehose writes ("Configure Amazon S3 object name format", Amazon Data Firehose Developer
    Guide, https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html): the prefix with its expressions
    evaluated ("Custom Prefixes for Amazon S3 Objects", s3-prefixes.html; ``YYYY/MM/dd/HH/`` when there is
    none), then ``<stream>-<version>-<year>-<month>-<day>-<hour>-<minute>-<second>-<uuid><extension>``. None
    when the prefix has an expression the preflight cannot evaluate (dynamic partitioning keys)."""
    if not prefix:
        prefix = "2026/11/27/12/"
    values = {"firehose:error-output-type": "processing-failed", "firehose:random-string": "a1b2c3"}

    def expression(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("timestamp:"):
            return _DAY
        if name in values:
            return values[name]
        raise KeyError(name)

    try:
        evaluated = re.sub(r"!\{([^}]+)\}", expression, prefix)
    except KeyError:
        return None
    return f"{evaluated}{stream}-1-{_TIME}-{_UUID}{extension}"


def _firehose_streams(wires: Wires) -> list[HopReport]:
    """Firehose -> S3, from "Controlling access with Amazon Data Firehose"
    (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html):

    * "Allow Firehose to assume an IAM role": ``sts:AssumeRole`` by ``firehose.amazonaws.com`` with
      ``sts:ExternalId`` = the stream's account;
    * "Grant Firehose access to an Amazon S3 destination": ``s3:AbortMultipartUpload``, ``s3:GetBucketLocation``,
      ``s3:GetObject``, ``s3:ListBucket``, ``s3:ListBucketMultipartUploads``, ``s3:PutObject``; with a KMS key,
      ``kms:GenerateDataKey`` and ``kms:Decrypt`` with ``kms:ViaService`` = ``s3.<region>.<DNS suffix>`` and
      ``kms:EncryptionContext:aws:s3:arn`` = the object;
    * "Cross-account delivery to an Amazon S3 destination": the bucket policy must grant the role as well, and
      ``s3:PutObjectAcl`` too, since Firehose writes with ``x-amz-acl: bucket-owner-full-control``.
    """
    reports = []
    for stream in wires.assembly.of_type("AWS::KinesisFirehose::DeliveryStream"):
        p = props(stream)
        destination = p.get("ExtendedS3DestinationConfiguration") or p.get("S3DestinationConfiguration")
        if destination is None:
            continue
        s = stream.stack
        stream_arn = wires.arn_of(stream) or stream.logical_id
        bucket, bucket_arn, problem = wires.target(s, destination.get("BucketARN"))
        report = HopReport("Firehose stream -> S3 bucket", stream_arn, bucket_arn or str(destination.get("BucketARN")))
        reports.append(report)
        if bucket_arn is None:
            report.problems.append(f"bucket: {problem}")
            continue
        role = _role(wires, s, destination.get("RoleARN"), report)
        if role is None:
            continue
        _assume(report, role, FIREHOSE, {"sts:ExternalId": s.account}, foreign={"sts:ExternalId": FOREIGN_ACCOUNT})
        bucket_name = bucket_arn.rsplit(":", 1)[-1]
        bucket_account = bucket.stack.account if bucket else None
        via_s3 = _regional(bucket.stack if bucket else s, "s3")  # S3 in the bucket's region sends it
        if bucket_account is None:
            report.problems.append(f"bucket {bucket_name} is not in the assembly: its policy is unknown")
            continue
        cross = bucket_account != role.account
        bucket_policy, problem = wires.assembly.bucket_policy(bucket_name)
        if problem:
            report.problems.append(problem)
            continue
        policy_name = "bucket policy"
        for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"):
            _s3(
                report,
                role,
                action,
                resource=bucket_arn,
                policy=bucket_policy,
                account=bucket_account,
                name=policy_name,
                extra={},
            )
        name = str(p.get("DeliveryStreamName", stream.logical_id))
        extension = _EXTENSIONS.get(str(destination.get("CompressionFormat")), "")
        keys = [
            sample_key(destination.get(field_), name, extension)
            for field_ in ("Prefix", "ErrorOutputPrefix")
            if field_ == "Prefix" or destination.get(field_)
        ]
        objects = []
        for object_key in keys:
            if object_key is None:
                report.problems.append("the object prefix has an expression the preflight cannot evaluate")
                continue
            objects.append(f"{bucket_arn}/{object_key}")
        acl = {"s3:x-amz-acl": "bucket-owner-full-control"} if cross else {}
        object_actions = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"] + (
            ["s3:PutObjectAcl"] if cross else []
        )
        for obj in objects:
            for action in object_actions:
                extra = acl if action in ("s3:PutObject", "s3:PutObjectAcl") else {}
                _s3(
                    report,
                    role,
                    action,
                    resource=obj,
                    policy=bucket_policy,
                    account=bucket_account,
                    name=policy_name,
                    extra=extra,
                )
        kms = destination.get("EncryptionConfiguration", {}).get("KMSEncryptionConfig", {}).get("AWSKMSKeyARN")
        if kms is None:
            continue
        key, key_arn, key_policy, problem = wires.key(s, kms)
        if key_arn is None:
            report.problems.append(f"key: {problem}")
            continue
        aliases = wires.key_aliases(key) if key else []
        bucket_key = bucket is not None and _bucket_key(bucket)
        for obj in objects:
            context_arn = bucket_arn if bucket_key else obj
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                request = Request(
                    role.principal,
                    action,
                    key_arn,
                    {
                        **role.context(),
                        **TLS,
                        "kms:ViaService": via_s3,
                        "kms:EncryptionContext:aws:s3:arn": context_arn,
                        "kms:ResourceAliases": aliases,
                    },
                )
                decision = role_to_resource(
                    role,
                    request,
                    key_policy,
                    resource_account=key_arn.split(":")[4],
                    policy_name="key policy",
                    key=True,
                )
                report.add("role policy + key policy", f"{action} ({obj.rsplit('/', 1)[0]}/)", request, decision)
    return reports


def _state_machines(wires: Wires) -> list[HopReport]:
    """Step Functions -> the state machine's tasks, from "IAM policies for using Distributed Map states" (Step
    Functions Developer Guide, https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html)
    and "Cross-service confused deputy prevention" (``aws:SourceArn``/``aws:SourceAccount`` on the trust):

    * ``lambda:invoke`` tasks: ``lambda:InvokeFunction`` on the function;
    * the ItemReader ``s3:listObjectsV2``: ``s3:ListBucket`` on the bucket with ``s3:prefix`` (the sample prefix of
      the machine's :data:`SAMPLE_PREFIX_METADATA`), role and bucket policy;
    * the ResultWriter ``s3:putObject``: ``s3:PutObject``, ``s3:GetObject``, ``s3:ListMultipartUploadParts``,
      ``s3:AbortMultipartUpload`` under its prefix, and with an SSE-KMS bucket ``kms:GenerateDataKey`` and
      ``kms:Decrypt`` through S3 (role and key policy).

    Any other task or reader is not modelled: "cannot evaluate", never a pass.
    """
    reports = []
    for machine in wires.assembly.of_type("AWS::StepFunctions::StateMachine"):
        p, s = props(machine), machine.stack
        name = str(p.get("StateMachineName", machine.logical_id))
        machine_arn = f"arn:{s.partition}:states:{s.region}:{s.account}:stateMachine:{name}"
        report = HopReport("Step Functions state machine -> its tasks", machine_arn, name)
        reports.append(report)
        role = _role(wires, s, p.get("RoleArn"), report)
        if role is None:
            continue
        _assume(
            report,
            role,
            STATES,
            {"aws:SourceArn": machine_arn, "aws:SourceAccount": s.account},
            foreign={
                "aws:SourceArn": machine_arn.replace(f":{s.account}:", f":{FOREIGN_ACCOUNT}:"),
                "aws:SourceAccount": FOREIGN_ACCOUNT,
            },
        )
        try:
            text = str(resolver(s).resolve(p.get("DefinitionString")))
            for key, value in (p.get("DefinitionSubstitutions") or {}).items():
                text = text.replace("${" + key + "}", str(resolver(s).resolve(value)))
            definition = json.loads(text)
        except (UnresolvableError, ValueError) as exc:
            report.problems.append(f"definition: {exc}")
            continue
        sample = machine.resource.get("Metadata", {}).get(SAMPLE_PREFIX_METADATA)
        for state in _all_states(definition):
            _state_requests(wires, report, role, s, state, sample=sample)
    return reports


def _all_states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for state in definition.get("States", {}).values():
        found.append(state)
        for inner in ("ItemProcessor", "Iterator"):
            if inner in state:
                found += _all_states(state[inner])
        for branch in state.get("Branches", []):
            found += _all_states(branch)
    return found


def _integration(resource: Any) -> str:
    """``lambda:invoke`` of ``arn:<partition>:states:::lambda:invoke``, else the resource itself."""
    parts = str(resource).split(":", 6)
    return ":".join(parts[5:]) if len(parts) > 5 and parts[2] == "states" and parts[4] == "" else str(resource)


def _state_requests(
    wires: Wires, report: HopReport, role: Role, s: Stack, state: dict[str, Any], *, sample: str | None
) -> None:
    if state.get("Type") == "Task":
        api = _integration(state.get("Resource"))
        function = state.get("Parameters", {}).get("FunctionName")
        if api == "lambda:invoke" and isinstance(function, str):
            _role_actions(report, role, function, ("lambda:InvokeFunction",))
        else:
            report.problems.append(f"task {api}: not modelled by the preflight")
    reader = state.get("ItemReader")
    if reader is not None:
        bucket = reader.get("Parameters", {}).get("Bucket")
        if _integration(reader.get("Resource")) != "s3:listObjectsV2" or not isinstance(bucket, str):
            report.problems.append(f"ItemReader {reader.get('Resource')}: not modelled by the preflight")
        elif sample is None:
            report.problems.append(f"ItemReader of s3://{bucket}: no {SAMPLE_PREFIX_METADATA} metadata")
        else:
            policy, problem = wires.assembly.bucket_policy(bucket)
            located = wires.assembly.bucket(bucket)
            if problem or located is None:
                report.problems.append(problem or f"bucket {bucket} is not in the assembly")
            else:
                _s3(
                    report,
                    role,
                    "s3:ListBucket",
                    resource=f"arn:{s.partition}:s3:::{bucket}",
                    policy=policy,
                    account=located.stack.account,
                    name="bucket policy",
                    extra={"s3:prefix": sample},
                )
    writer = state.get("ResultWriter")
    if writer is not None:
        params = writer.get("Parameters", {})
        bucket, prefix = params.get("Bucket"), params.get("Prefix", "")
        if _integration(writer.get("Resource")) != "s3:putObject" or not isinstance(bucket, str):
            report.problems.append(f"ResultWriter {writer.get('Resource')}: not modelled by the preflight")
            return
        policy, problem = wires.assembly.bucket_policy(bucket)
        located = wires.assembly.bucket(bucket)
        if problem or located is None:
            report.problems.append(problem or f"bucket {bucket} is not in the assembly")
            return
        bucket_arn = f"arn:{s.partition}:s3:::{bucket}"
        obj = f"{bucket_arn}/{prefix}/{_UUID}/manifest.json" if prefix else f"{bucket_arn}/{_UUID}/manifest.json"
        for action in ("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"):
            _s3(
                report,
                role,
                action,
                resource=obj,
                policy=policy,
                account=located.stack.account,
                name="bucket policy",
                extra={},
            )
        rules = props(located).get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
        kms_keys = [r.get("ServerSideEncryptionByDefault", {}).get("KMSMasterKeyID") for r in rules]
        for kms in [k for k in kms_keys if k is not None]:
            key, key_arn, key_policy, problem = wires.key(located.stack, kms)
            if key_arn is None:
                report.problems.append(f"results key: {problem}")
                continue
            context_arn = bucket_arn if _bucket_key(located) else obj
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                request = Request(
                    role.principal,
                    action,
                    key_arn,
                    {
                        **role.context(),
                        **TLS,
                        "kms:ViaService": f"s3.{located.stack.region}.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": context_arn,
                        "kms:ResourceAliases": wires.key_aliases(key) if key else [],
                    },
                )
                decision = role_to_resource(
                    role,
                    request,
                    key_policy,
                    resource_account=key_arn.split(":")[4],
                    policy_name="key policy",
                    key=True,
                )
                report.add("role policy + key policy", f"{action} (ResultWriter)", request, decision)


def _s3(
    report: HopReport,
    role: Role,
    action: str,
    *,
    resource: str,
    policy: Any,
    account: str,
    name: str,
    extra: dict[str, str],
) -> None:
    request = Request(role.principal, action, resource, {**role.context(), **TLS, **extra})
    decision = role_to_resource(role, request, policy, resource_account=account, policy_name=name)
    report.add(f"role policy + {name}", action, request, decision)


def _bucket_key(bucket: Located) -> bool:
    rules = props(bucket).get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    return any(str(rule.get("BucketKeyEnabled")).lower() == "true" for rule in rules)


__all__ = ["HopReport", "counts", "hops_from_assembly", "kind_verdicts", "overall", "preflight_hops"]
