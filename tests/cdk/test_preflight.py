"""The preflight over every fixture config's templates, and over mutated templates: each mutation is caught."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from deployment.config import OrganizationConfig
from ebtrail.verifier.preflight.assembly import Assembly, Stack
from ebtrail.verifier.preflight.run import PreflightExit, TrailReport, overall_exit, preflight_trail
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import OWNED_ARCHIVE_FIXTURES

Templates = dict[str, dict[str, Any]]


def templates_of(synth: Synthesized) -> Templates:
    return {name: copy.deepcopy(synth.json(name)) for name in synth.templates}


def run(synth: Synthesized, templates: Templates) -> list[TrailReport]:
    stacks = [
        Stack(stack.stack_name, stack.account, stack.region, templates[stack.stack_name]["Resources"])
        for stack in synth.built.stacks
    ]
    return [preflight_trail(trail) for trail in Assembly(stacks).trails()]


def resources(templates: Templates, kind: str) -> list[dict[str, Any]]:
    return [r for t in templates.values() for r in t["Resources"].values() if r["Type"] == kind]


def statements(templates: Templates, kind: str, policy_field: str) -> list[dict[str, Any]]:
    return [s for r in resources(templates, kind) for s in r["Properties"][policy_field]["Statement"]]


def failures(reports: list[TrailReport]) -> list[str]:
    return [r.explain() for report in reports for r in report.failures]


@pytest.mark.parametrize("config_file", OWNED_ARCHIVE_FIXTURES)
def test_every_example_config_passes(synthesized: Callable[[str], Synthesized], config_file: str) -> None:
    synth = synthesized(config_file)
    reports = run(synth, templates_of(synth))
    assert len(reports) == len(synth.built.trails)
    assert overall_exit(reports) is PreflightExit.PASS, [r.problems for r in reports] + failures(reports)
    for report in reports:
        policies = {r.check.policy for r in report.results}
        assert policies == {"bucket policy", "log key policy", "topic policy", "topic key policy"}
        negatives = [r for r in report.results if not r.check.must_allow]
        assert len(negatives) >= 8 and all(not r.decision.allowed for r in negatives)


def test_organization_trail_checks_the_organization_layout(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("organization.toml")
    (report,) = run(synth, templates_of(synth))
    assert isinstance(synth.config, OrganizationConfig)
    org_id, management = synth.config.organization.id, synth.config.organization.management_account
    keys = [r.check.request.resource for r in report.results if r.check.must_allow]
    assert any(f"/AWSLogs/{org_id}/{management}/CloudTrail/eu-central-1/" in k for k in keys)
    assert any(f"/AWSLogs/{management}/CloudTrail/us-east-1/" in k for k in keys)  # the CreateTrail check


def _drop_condition(statement: dict[str, Any], key: str) -> None:
    for operator in list(statement.get("Condition", {})):
        statement["Condition"][operator].pop(key, None)
        if not statement["Condition"][operator]:
            del statement["Condition"][operator]


def drop_source_arn_from_writes(templates: Templates) -> None:
    for s in statements(templates, "AWS::S3::BucketPolicy", "PolicyDocument"):
        if s.get("Sid", "").startswith("AWSCloudTrailWrite"):
            _drop_condition(s, "aws:SourceArn")


def widen_put_object_to_bucket(templates: Templates) -> None:
    for s in statements(templates, "AWS::S3::BucketPolicy", "PolicyDocument"):
        if s.get("Sid", "").startswith("AWSCloudTrailWrite"):
            first = s["Resource"][0] if isinstance(s["Resource"], list) else s["Resource"]
            s["Resource"] = {"Fn::Join": ["", [first["Fn::Join"][1][0], "/*"]]}


def delete_acl_check(templates: Templates) -> None:
    for r in resources(templates, "AWS::S3::BucketPolicy"):
        document = r["Properties"]["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "AWSCloudTrailAclCheck"]


def drop_acl_condition(templates: Templates) -> None:
    for s in statements(templates, "AWS::S3::BucketPolicy", "PolicyDocument"):
        if s.get("Sid", "").startswith("AWSCloudTrailWrite"):
            _drop_condition(s, "s3:x-amz-acl")


def drop_encryption_context_condition(templates: Templates) -> None:
    for s in statements(templates, "AWS::KMS::Key", "KeyPolicy"):
        if s.get("Sid") == "AllowCloudTrailEncryptLogs":
            _drop_condition(s, "kms:EncryptionContext:aws:cloudtrail:arn")


def drop_source_arn_from_topic_policy(templates: Templates) -> None:
    for s in statements(templates, "AWS::SNS::TopicPolicy", "PolicyDocument"):
        if s.get("Sid") == "AWSCloudTrailSNSPolicy":
            _drop_condition(s, "aws:SourceArn")


def drop_tls_only(templates: Templates) -> None:
    for r in [*resources(templates, "AWS::S3::BucketPolicy"), *resources(templates, "AWS::SNS::TopicPolicy")]:
        document = r["Properties"]["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"] if s["Effect"] != "Deny"]


def drop_topic_key_statement(templates: Templates) -> None:
    for r in resources(templates, "AWS::KMS::Key"):
        document = r["Properties"]["KeyPolicy"]
        document["Statement"] = [
            s for s in document["Statement"] if s.get("Sid") != "AllowCloudTrailPublishToEncryptedTopic"
        ]


def rename_trail_in_key_policy(templates: Templates) -> None:
    """The key policy names another trail than the one deployed (a renamed trail, a stale policy)."""
    for s in statements(templates, "AWS::KMS::Key", "KeyPolicy"):
        if s.get("Sid", "").startswith("AllowCloudTrail"):
            for block in s.get("Condition", {}).values():
                if "aws:SourceArn" in block:
                    block["aws:SourceArn"] = [arn + "-old" for arn in block["aws:SourceArn"]]


#: Each mutation, and the words of the finding that must report it.
MUTATIONS: list[tuple[Callable[[Templates], None], str]] = [
    (drop_source_arn_from_writes, "bucket policy: PutObject by another account's trail"),
    (widen_put_object_to_bucket, "bucket policy: PutObject into another account's folder"),
    (delete_acl_check, "bucket policy: GetBucketAcl (ACL check): s3:GetBucketAcl"),
    (drop_acl_condition, "bucket policy: PutObject without the bucket-owner-full-control ACL"),
    (drop_encryption_context_condition, "log key policy: GenerateDataKey without CloudTrail's encryption context"),
    (drop_source_arn_from_topic_policy, "topic policy: Publish by another account's trail"),
    (drop_tls_only, "PutObject without TLS"),
    (drop_topic_key_statement, "topic key policy: GenerateDataKey (encrypted topic)"),
    (rename_trail_in_key_policy, "log key policy: GenerateDataKey (log file encryption)"),
]


@pytest.mark.parametrize("config_file", OWNED_ARCHIVE_FIXTURES)
@pytest.mark.parametrize(("mutate", "finding"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
def test_each_mutation_is_caught(
    synthesized: Callable[[str], Synthesized], config_file: str, mutate: Callable[[Templates], None], finding: str
) -> None:
    synth = synthesized(config_file)
    templates = templates_of(synth)
    mutate(templates)
    reports = run(synth, templates)
    assert overall_exit(reports) is PreflightExit.FAIL
    found = failures(reports)
    # Every trail of the config is affected, and each says which request and statement.
    assert all(report.failures for report in reports)
    assert any(finding in line for line in found), found
    assert all(("no statement allows it" in line) or ("allows it" in line) or ("denied by" in line) for line in found)


def test_an_allowing_statement_is_named_when_a_negative_is_allowed(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("default.toml")
    templates = templates_of(synth)
    widen_put_object_to_bucket(templates)
    line = next(x for x in failures(run(synth, templates)) if "another account's folder" in x)
    assert "must be denied, but Allow statement 'AWSCloudTrailWrite111111111111' allows it" in line


def test_an_unsupported_operator_cannot_be_evaluated(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("default.toml")
    templates = templates_of(synth)
    for s in statements(templates, "AWS::S3::BucketPolicy", "PolicyDocument"):
        if s.get("Sid") == "AWSCloudTrailAclCheck":
            s["Condition"]["BinaryEquals"] = {"aws:SourceArn": "QUJD"}
    reports = run(synth, templates)
    assert overall_exit(reports) is PreflightExit.CANNOT_EVALUATE
    (line,) = [r.explain() for report in reports for r in report.unknown]
    assert "BinaryEquals" in line and "not implemented" in line


def test_a_bucket_outside_the_assembly_cannot_be_evaluated(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("default.toml")
    templates = templates_of(synth)
    for r in resources(templates, "AWS::CloudTrail::Trail"):
        r["Properties"]["S3BucketName"] = "somebody-elses-bucket"
    reports = run(synth, templates)
    assert overall_exit(reports) is PreflightExit.CANNOT_EVALUATE
    assert any("somebody-elses-bucket is not in the assembly" in p for r in reports for p in r.problems)
