"""The hop preflight over every fixture config's templates, and over mutated templates: for each hop kind, dropping
the statement that authorizes it or changing a name it depends on makes that kind fail, naming the request."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ebtrail.verifier.cli import cli
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.preflight.assembly import Assembly, Stack
from ebtrail.verifier.preflight.hops import HopReport, counts, kind_verdicts, overall, preflight_hops
from stacks.summary import print_hops
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import FIXTURE_CONFIGS

Templates = dict[str, dict[str, Any]]

ALARM_TOPIC = "CloudWatch alarm -> SNS topic"
RULE_TOPIC = "EventBridge rule -> SNS topic"
RULE_FIREHOSE = "EventBridge rule -> Firehose stream"
SCHEDULE_LAMBDA = "EventBridge Scheduler -> Lambda function"
SCHEDULE_QUEUE = "EventBridge Scheduler -> SQS queue (dead-letter queue)"
LAMBDA_QUEUE = "Lambda function -> SQS queue (dead-letter queue)"
TRAIL_LOGS = "CloudTrail -> CloudWatch Logs"
LOG_GROUP_KEY = "CloudWatch Logs log group -> KMS key"
FIREHOSE_BUCKET = "Firehose stream -> S3 bucket"
STATE_MACHINE = "Step Functions state machine -> its tasks"
EVERY_KIND = {
    STATE_MACHINE,
    ALARM_TOPIC,
    RULE_TOPIC,
    RULE_FIREHOSE,
    SCHEDULE_LAMBDA,
    SCHEDULE_QUEUE,
    LAMBDA_QUEUE,
    TRAIL_LOGS,
    LOG_GROUP_KEY,
    FIREHOSE_BUCKET,
}


def templates_of(synth: Synthesized) -> Templates:
    return {name: copy.deepcopy(synth.json(name)) for name in synth.templates}


def run(synth: Synthesized, templates: Templates) -> list[HopReport]:
    stacks = [
        Stack(stack.stack_name, stack.account, stack.region, templates[stack.stack_name]["Resources"])
        for stack in synth.built.stacks
    ]
    return preflight_hops(Assembly(stacks))


def resources(templates: Templates, kind: str) -> list[dict[str, Any]]:
    return [r for t in templates.values() for r in t["Resources"].values() if r["Type"] == kind]


def documents(templates: Templates) -> list[dict[str, Any]]:
    """Every policy document of the templates (resource, key, trust and identity policies)."""
    fields = {
        "AWS::SNS::TopicPolicy": "PolicyDocument",
        "AWS::SQS::QueuePolicy": "PolicyDocument",
        "AWS::S3::BucketPolicy": "PolicyDocument",
        "AWS::IAM::ManagedPolicy": "PolicyDocument",
        "AWS::IAM::Policy": "PolicyDocument",
        "AWS::KMS::Key": "KeyPolicy",
        "AWS::IAM::Role": "AssumeRolePolicyDocument",
    }
    return [
        r["Properties"][f] for kind, f in fields.items() for r in resources(templates, kind) if f in r["Properties"]
    ]


def drop(templates: Templates, predicate: Callable[[dict[str, Any]], bool]) -> int:
    """Remove every statement matching ``predicate``; how many were removed."""
    removed = 0
    for document in documents(templates):
        kept = [s for s in document["Statement"] if not predicate(s)]
        removed += len(document["Statement"]) - len(kept)
        document["Statement"] = kept
    return removed


def sid(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda s: s.get("Sid") == name


def actions_of(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return [value] if isinstance(value, str) else list(value)


def principal(service: str, action: str = "sts:AssumeRole") -> Callable[[dict[str, Any]], bool]:
    """Allow statements of a resource, key or trust policy for ``service`` that grant ``action``."""
    return lambda s: s["Effect"] == "Allow" and s.get("Principal") == {"Service": service} and action in actions_of(s)


def identity_grant(action: str) -> Callable[[dict[str, Any]], bool]:
    """Allow statements of identity policies (no Principal) that grant ``action``."""
    return lambda s: s["Effect"] == "Allow" and "Principal" not in s and action in actions_of(s)


def role_grant(action: str) -> Callable[[dict[str, Any]], bool]:
    """Allow statements of resource or key policies that grant ``action`` to a role (``aws:PrincipalArn``)."""
    return lambda s: (
        s["Effect"] == "Allow"
        and action in actions_of(s)
        and any("aws:PrincipalArn" in block for block in s.get("Condition", {}).values())
        and "delivery-canary" not in json.dumps(s)
    )


def failing(reports: list[HopReport], kind: str) -> list[str]:
    return [line.explain() for r in reports if r.kind == kind for line in r.failures]


@pytest.mark.parametrize(
    "config_file",
    FIXTURE_CONFIGS,
)
def test_every_example_config_passes_the_hop_preflight(
    synthesized: Callable[[str], Synthesized], config_file: str
) -> None:
    synth = synthesized(config_file)
    reports = run(synth, templates_of(synth))
    assert reports, "no hop found"
    assert overall(reports) is ExitCode.PASS, [line for r in reports for line in r.lines()]
    # Every trail ebtrail creates, or the adopted trail it proves, has a canary and an alert rule.
    trails = len(synth.built.trails) or (1 if synth.built.proof is not None else 0)
    assert trails >= 1
    found = counts(reports)
    # Every trail stack has its canary (schedule, dead-letter queues, alarms) and its alert rule.
    assert found[SCHEDULE_LAMBDA] == found[SCHEDULE_QUEUE] == found[LAMBDA_QUEUE] == found[RULE_TOPIC] == trails
    assert found[ALARM_TOPIC] >= 5 * trails
    assert found[LOG_GROUP_KEY] >= trails  # the canary's log group


def test_all_features_wires_every_hop_kind(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("all-features.toml")
    reports = run(synth, templates_of(synth))
    assert set(counts(reports)) == EVERY_KIND
    # Every kind holds, the Firehose and CloudTrail -> CloudWatch Logs hops too (issue 17 items 2 and 3).
    verdicts = kind_verdicts(reports)
    assert {k for k, v in verdicts.items() if v == "pass"} == EVERY_KIND
    # Each hop names the documented requests: principal, action, context.
    firehose = next(r for r in reports if r.kind == FIREHOSE_BUCKET)
    trust = next(r for r in firehose.results if r.request.action == "sts:AssumeRole" and r.must_allow)
    assert trust.request.principal.identifier == "firehose.amazonaws.com"
    assert trust.request.context["sts:ExternalId"] == synth.built.trails[0].account
    kms = next(r for r in firehose.results if r.request.action == "kms:GenerateDataKey")
    assert kms.request.context["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    assert str(kms.request.context["kms:EncryptionContext:aws:s3:arn"]).startswith("arn:aws:s3:::ebtrail-logs-")
    assert kms.request.context["kms:ResourceAliases"] == ["alias/ebtrail/cloudtrail-logs"]
    alarm = next(r for r in reports if r.kind == ALARM_TOPIC and ":111111111111:" in r.source)  # the trail's
    publish = alarm.results[0]
    assert (publish.request.principal.identifier, publish.request.action) == ("cloudwatch.amazonaws.com", "sns:Publish")
    assert publish.request.context["aws:SourceArn"] == alarm.source
    assert alarm.source.startswith("arn:aws:cloudwatch:us-east-1:111111111111:alarm:")
    group = next(r for r in reports if r.kind == LOG_GROUP_KEY)
    request = group.results[0].request
    assert request.principal.identifier == "logs.us-east-1.amazonaws.com"
    assert request.context["kms:EncryptionContext:aws:logs:arn"] == group.source


def _rename_alarms(templates: Templates) -> None:
    for alarm in resources(templates, "AWS::CloudWatch::Alarm"):
        alarm["Properties"]["AlarmName"] = "renamed-" + alarm["Properties"]["AlarmName"]


def _rename_rules(templates: Templates) -> None:
    for rule in resources(templates, "AWS::Events::Rule"):
        rule["Properties"]["Name"] = "renamed-" + rule["Properties"]["Name"]


def _rename_log_groups(templates: Templates) -> None:
    for group in resources(templates, "AWS::Logs::LogGroup"):
        group["Properties"]["LogGroupName"] += "-renamed"


def _schedule_group(templates: Templates) -> None:
    for schedule in resources(templates, "AWS::Scheduler::Schedule"):
        schedule["Properties"]["GroupName"] = "other-group"


def _firehose_external_id(templates: Templates) -> None:
    for role in resources(templates, "AWS::IAM::Role"):
        for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            if "sts:ExternalId" in s.get("Condition", {}).get("StringEquals", {}):
                s["Condition"]["StringEquals"]["sts:ExternalId"] = "999999999999"


def _firehose_prefix(templates: Templates) -> None:
    for stream in resources(templates, "AWS::KinesisFirehose::DeliveryStream"):
        stream["Properties"]["ExtendedS3DestinationConfiguration"]["Prefix"] = "elsewhere/!{timestamp:yyyy}/"


def _rename_state_machines(templates: Templates) -> None:
    for machine in resources(templates, "AWS::StepFunctions::StateMachine"):
        machine["Properties"]["StateMachineName"] = "renamed-" + machine["Properties"]["StateMachineName"]


def _dropping(*predicates: Callable[[dict[str, Any]], bool]) -> Callable[[Templates], None]:
    def mutate(templates: Templates) -> None:
        assert sum(drop(templates, p) for p in predicates), "the mutation removed nothing"

    return mutate


#: (hop kind, mutation, words of the finding). Each kind at least once by a dropped statement and, where a
#: name decides, by a changed name.
MUTATIONS: list[tuple[str, str, Callable[[Templates], None], str]] = [
    (
        ALARM_TOPIC,
        "drop-topic-statement",
        _dropping(principal("cloudwatch.amazonaws.com", "sns:Publish")),
        "topic policy: Publish:",
    ),
    (ALARM_TOPIC, "rename-alarms", _rename_alarms, "topic policy: Publish:"),
    (
        ALARM_TOPIC,
        "drop-key-statement",
        _dropping(principal("cloudwatch.amazonaws.com", "kms:Decrypt")),
        "topic key policy: kms:GenerateDataKey",
    ),
    (
        RULE_TOPIC,
        "drop-topic-statement",
        _dropping(principal("events.amazonaws.com", "sns:Publish")),
        "topic policy: Publish:",
    ),
    (RULE_TOPIC, "rename-rules", _rename_rules, "topic policy: Publish:"),
    (
        RULE_TOPIC,
        "drop-key-statement",
        _dropping(principal("events.amazonaws.com", "kms:Decrypt")),
        "topic key policy: kms:Decrypt",
    ),
    (RULE_FIREHOSE, "drop-trust", _dropping(principal("events.amazonaws.com")), "trust policy: AssumeRole"),
    (RULE_FIREHOSE, "rename-rules", _rename_rules, "trust policy: AssumeRole"),
    (RULE_FIREHOSE, "drop-role-statement", _dropping(identity_grant("firehose:PutRecord")), "firehose:PutRecord"),
    (SCHEDULE_LAMBDA, "drop-trust", _dropping(principal("scheduler.amazonaws.com")), "trust policy: AssumeRole"),
    (SCHEDULE_LAMBDA, "other-schedule-group", _schedule_group, "trust policy: AssumeRole"),
    (
        SCHEDULE_LAMBDA,
        "drop-role-statement",
        _dropping(identity_grant("lambda:InvokeFunction")),
        "lambda:InvokeFunction",
    ),
    (SCHEDULE_QUEUE, "drop-role-statement", _dropping(sid("SendFailedInvocations")), "sqs:SendMessage"),
    (LAMBDA_QUEUE, "drop-role-statement", _dropping(sid("SendFailedRuns")), "sqs:SendMessage"),
    (
        TRAIL_LOGS,
        "drop-role-statement",
        _dropping(identity_grant("logs:CreateLogStream")),
        "logs:CreateLogStream",
    ),
    (TRAIL_LOGS, "drop-trust", _dropping(principal("cloudtrail.amazonaws.com")), "trust policy: AssumeRole"),
    (TRAIL_LOGS, "rename-log-groups", _rename_log_groups, "logs:PutLogEvents"),
    (
        LOG_GROUP_KEY,
        "drop-key-statement",
        _dropping(
            lambda s: isinstance(s.get("Principal"), dict) and str(s["Principal"].get("Service")).startswith("logs.")
        ),
        "log group key policy: kms:Encrypt",
    ),
    (LOG_GROUP_KEY, "rename-log-groups", _rename_log_groups, "log group key policy: kms:GenerateDataKey"),
    (FIREHOSE_BUCKET, "drop-trust", _dropping(principal("firehose.amazonaws.com")), "trust policy: AssumeRole"),
    (FIREHOSE_BUCKET, "other-external-id", _firehose_external_id, "trust policy: AssumeRole"),
    (
        FIREHOSE_BUCKET,
        "drop-role-statement",
        _dropping(identity_grant("s3:AbortMultipartUpload")),
        "role policy + bucket policy",
    ),
    (
        FIREHOSE_BUCKET,
        "drop-bucket-statement",
        _dropping(role_grant("s3:AbortMultipartUpload")),
        "s3:PutObject",
    ),
    (FIREHOSE_BUCKET, "drop-key-statement", _dropping(role_grant("kms:GenerateDataKey")), "key policy"),
    (FIREHOSE_BUCKET, "other-prefix", _firehose_prefix, "s3:PutObject"),
    (STATE_MACHINE, "drop-trust", _dropping(principal("states.amazonaws.com")), "trust policy: AssumeRole"),
    (STATE_MACHINE, "rename-state-machine", _rename_state_machines, "trust policy: AssumeRole"),
    (STATE_MACHINE, "drop-invoke", _dropping(sid("InvokeCheckers")), "lambda:InvokeFunction"),
    (STATE_MACHINE, "drop-item-reader", _dropping(sid("ListDigestKeys")), "s3:ListBucket"),
    (STATE_MACHINE, "drop-result-writer", _dropping(sid("WriteResults")), "s3:PutObject"),
    (STATE_MACHINE, "drop-results-key", _dropping(sid("EncryptResults")), "kms:GenerateDataKey"),
]


@pytest.mark.parametrize(
    ("kind", "mutate", "finding"),
    [(kind, mutate, finding) for kind, _, mutate, finding in MUTATIONS],
    ids=[f"{kind}:{name}" for kind, name, _, _ in MUTATIONS],
)
def test_each_hop_kind_fails_when_its_grant_or_name_breaks(
    synthesized: Callable[[str], Synthesized], kind: str, mutate: Callable[[Templates], None], finding: str
) -> None:
    synth = synthesized("all-features.toml")
    before = failing(run(synth, templates_of(synth)), kind)
    templates = templates_of(synth)
    mutate(templates)
    reports = run(synth, templates)
    assert overall(reports) is ExitCode.FAIL
    assert kind_verdicts(reports)[kind] == "fail"
    new = [line for line in failing(reports, kind) if line not in before]
    assert any(finding in line for line in new), new


def test_a_state_machine_task_the_preflight_does_not_model_cannot_evaluate(
    synthesized: Callable[[str], Synthesized],
) -> None:
    """A task other than lambda:invoke (here SNS publish) is reported, never silently skipped."""
    synth = synthesized("all-features.toml")
    templates = templates_of(synth)
    [machine] = resources(templates, "AWS::StepFunctions::StateMachine")
    definition = json.loads(machine["Properties"]["DefinitionString"])
    definition["States"]["Summarize"]["Resource"] = "arn:aws:states:::sns:publish"
    machine["Properties"]["DefinitionString"] = json.dumps(definition)
    reports = run(synth, templates)
    assert kind_verdicts(reports)[STATE_MACHINE] == "cannot evaluate"
    [report] = [r for r in reports if r.kind == STATE_MACHINE]
    assert report.problems == ["task sns:publish: not modelled by the preflight"]


def test_the_state_machine_hop_asks_what_the_step_functions_docs_name(
    synthesized: Callable[[str], Synthesized],
) -> None:
    synth = synthesized("all-features.toml")
    [report] = [r for r in run(synth, templates_of(synth)) if r.kind == STATE_MACHINE]
    trust = next(r for r in report.results if r.request.action == "sts:AssumeRole" and r.must_allow)
    assert trust.request.principal.identifier == "states.amazonaws.com"
    assert trust.request.context["aws:SourceArn"] == report.source
    assert report.source == "arn:aws:states:us-east-1:222222222222:stateMachine:ebtrail-integrity-sweep"
    listing = next(r for r in report.results if r.request.action == "s3:ListBucket")
    assert listing.request.resource == "arn:aws:s3:::ebtrail-logs-222222222222-us-east-1"
    assert str(listing.request.context["s3:prefix"]).endswith("/CloudTrail-Digest/us-east-1/")
    invoked = {r.request.resource.rsplit(":", 1)[1] for r in report.results if r.request.action.startswith("lambda:")}
    assert invoked == {"ebtrail-integrity-sweep-batch", "ebtrail-integrity-sweep-summary"}
    kms = next(r for r in report.results if r.request.action == "kms:GenerateDataKey")
    assert kms.request.context["kms:ViaService"] == "s3.us-east-1.amazonaws.com"


def test_an_unsupported_operator_cannot_be_evaluated(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("default.toml")
    templates = templates_of(synth)
    for document in documents(templates):
        for s in document["Statement"]:
            if s.get("Sid") == "AllowCloudWatchAlarmsPublish":
                s["Condition"]["BinaryEquals"] = {"aws:SourceArn": "QUJD"}
    reports = run(synth, templates)
    assert overall(reports) is ExitCode.CANNOT_EVALUATE
    lines = [line.explain() for r in reports for line in r.unknown]
    assert lines and all("BinaryEquals" in line and "not implemented" in line for line in lines)


def test_a_wire_the_preflight_does_not_model_cannot_evaluate(synthesized: Callable[[str], Synthesized]) -> None:
    """A new target kind is checked automatically: reported as "cannot evaluate", never passed over."""
    synth = synthesized("default.toml")
    templates = templates_of(synth)
    (rule,) = resources(templates, "AWS::Events::Rule")
    rule["Properties"]["Targets"].append(
        {"Arn": "arn:aws:states:us-east-1:111111111111:stateMachine:somewhere", "Id": "New"}
    )
    (alarm, *_) = resources(templates, "AWS::CloudWatch::Alarm")
    alarm["Properties"]["AlarmActions"].append("arn:aws:automate:us-east-1:ec2:stop")
    reports = run(synth, templates)
    assert overall(reports) is ExitCode.CANNOT_EVALUATE
    new = [r for r in reports if r.target.endswith(("stateMachine:somewhere", "ec2:stop"))]
    assert len(new) == 2 and all(r.exit_code is ExitCode.CANNOT_EVALUATE and r.problems for r in new)


def test_a_role_with_a_policy_outside_the_assembly_cannot_be_evaluated(
    synthesized: Callable[[str], Synthesized],
) -> None:
    synth = synthesized("default.toml")
    templates = templates_of(synth)
    drop(templates, identity_grant("lambda:InvokeFunction"))
    for role in resources(templates, "AWS::IAM::Role"):
        role["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/service-role/AWSLambdaRole"]
    reports = run(synth, templates)
    (hop,) = [r for r in reports if r.kind == SCHEDULE_LAMBDA]
    assert hop.exit_code is ExitCode.CANNOT_EVALUATE
    assert "AWSLambdaRole" in hop.unknown[0].explain()


def test_preflight_and_the_synth_summary_list_the_hops(
    synthesized: Callable[[str], Synthesized], capsys: pytest.CaptureFixture[str]
) -> None:
    """``ebtrail-verify preflight --assembly --json`` lists every hop; the text and ``make synth`` count them."""
    synth = synthesized("default.toml")
    directory = synth.built.app.synth().directory
    expected = counts(run(synth, templates_of(synth)))
    result = CliRunner().invoke(cli, ["preflight", "--assembly", directory, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["verdict"], data["hop_verdict"], data["hop_counts"]) == ("pass", "pass", expected)
    assert len(data["hops"]) == sum(expected.values())
    check = data["hops"][0]["checks"][0]
    assert {"principal", "action", "resource", "context", "must_be", "verdict", "statements"} <= set(check)
    text = CliRunner().invoke(cli, ["preflight", "--assembly", directory]).output
    assert f"hops: pass, {sum(expected.values())} hop(s)" in text
    assert f"  {ALARM_TOPIC}: {expected[ALARM_TOPIC]} (pass)" in text
    assert print_hops(Path(directory)) is ExitCode.PASS
    printed = capsys.readouterr().out
    assert f"hop preflight (every service-to-resource wire): pass, {sum(expected.values())} hop(s)" in printed
    assert all(f"    {kind}: {count} (pass)" in printed for kind, count in expected.items())
