"""The adopted topology: on a trail ebtrail does not own, the templates hold no trail of management events, no log
bucket and no log key; the proof layer reads the trail's own layout; the data-events-only trail records exactly the
storage buckets' object writes; and the owner statements ``make synth`` prints are what a Control Tower-like bucket
and key policy lack (the preflight's evaluator denies the canary's, the verifier's and Athena's reads without them
and allows them with them)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from deployment.config import load_config, parse_config
from deployment.plan import plan
from ebtrail.constructs.audit_trail import AuditTrail, AuditTrailProps
from ebtrail.core.cis_filters import CIS_FILTERS
from ebtrail.core.iam import ContextValue, Principal, Request, Verdict, evaluate
from ebtrail.core.names import ExistingTrail
from ebtrail.verifier.preflight.cloudtrail_requests import TrailSubject
from ebtrail.verifier.preflight.reader_requests import reader_checks
from ebtrail.verifier.preflight.run import preflight_trail
from stacks import summary
from stacks.app_builder import EbtrailApp, build_app
from tests.cdk.policy_helpers import resources_of_type
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import CONFIG_FIXTURES

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTROL_TOWER = "control-tower.toml"
SINGLE = "adopt-single-account.toml"
ADOPTED = [CONTROL_TOWER, SINGLE]

MANAGEMENT = "111111111111"
LOG_ARCHIVE = "222222222222"
ORG = "o-a1b2c3d4e5"
CT_BUCKET = f"aws-controltower-logs-{LOG_ARCHIVE}-us-east-1"
CT_TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/aws-controltower-BaselineCloudTrail"
SINGLE_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def templates(result: Synthesized) -> dict[str, dict[str, Any]]:
    return {name: result.json(name) for name in result.templates}


def proof_template(result: Synthesized) -> dict[str, Any]:
    assert result.built.proof is not None
    return result.json(result.built.proof.stack_name)


def archive_template(result: Synthesized) -> dict[str, Any]:
    return result.json(result.built.archive_stack.stack_name)


@pytest.mark.parametrize("config_file", ADOPTED)
def test_no_trail_of_management_events_no_log_bucket_no_log_key(
    config_file: str, synthesized: Callable[[str], Synthesized]
) -> None:
    result = synthesized(config_file)
    built: EbtrailApp = result.built
    assert built.trails == [] and built.proof is not None
    existing = result.config.existing_trail
    assert existing is not None
    for name, template in templates(result).items():
        # The only trail ebtrail may add records data events and no management event at all.
        for trail in resources_of_type(template, "AWS::CloudTrail::Trail").values():
            properties = trail["Properties"]
            assert "EventSelectors" not in properties, name
            categories = [
                selector["Equals"]
                for advanced in properties["AdvancedEventSelectors"]
                for selector in advanced["FieldSelectors"]
                if selector["Field"] == "eventCategory"
            ]
            assert categories == [["Data"]], name
        # No bucket is the trail's bucket or ebtrail's log bucket, and no bucket policy lets CloudTrail write.
        for bucket in resources_of_type(template, "AWS::S3::Bucket").values():
            bucket_name = bucket["Properties"].get("BucketName", "")
            assert bucket_name != existing.bucket and "-logs-" not in bucket_name.replace("-access-logs-", ""), name
        for policy in resources_of_type(template, "AWS::S3::BucketPolicy").values():
            assert "cloudtrail.amazonaws.com" not in json.dumps(policy), name
        # No log key: the keys here encrypt ebtrail's own topics, log groups and query results.
        aliases = [a["Properties"]["AliasName"] for a in resources_of_type(template, "AWS::KMS::Alias").values()]
        assert not any(alias.endswith("/cloudtrail-logs") for alias in aliases), (name, aliases)


def test_control_tower_creates_no_trail_at_all(synthesized: Callable[[str], Synthesized]) -> None:
    result = synthesized(CONTROL_TOWER)
    assert all(not resources_of_type(t, "AWS::CloudTrail::Trail") for t in templates(result).values())
    # Nor a log group: the CIS filters go on Control Tower's (the canary's own log group aside).
    groups = resources_of_type(proof_template(result), "AWS::Logs::LogGroup")
    assert [g["Properties"]["LogGroupName"] for g in groups.values()] == [
        "/aws/lambda/aws-controltower-BaselineCloudTrail-canary"
    ]


def test_cis_filters_are_on_the_trails_existing_log_group(synthesized: Callable[[str], Synthesized]) -> None:
    template = proof_template(synthesized(CONTROL_TOWER))
    filters = resources_of_type(template, "AWS::Logs::MetricFilter")
    assert len(filters) == len(CIS_FILTERS) + 1  # and the destructive Beanstalk calls
    assert {f["Properties"]["LogGroupName"] for f in filters.values()} == {"aws-controltower/CloudTrailLogs"}
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    names = {a["Properties"]["AlarmName"] for a in alarms.values()}
    assert all(name.startswith("aws-controltower-BaselineCloudTrail-") for name in names)


def _canary_environment(template: dict[str, Any]) -> dict[str, str]:
    (function,) = resources_of_type(template, "AWS::Lambda::Function").values()
    environment: dict[str, str] = function["Properties"]["Environment"]["Variables"]
    return environment


def _canary_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policies = [
        p
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("ManagedPolicyName") == "ebtrail-delivery-canary"
    ]
    (policy,) = policies
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_the_canary_checks_the_trail_the_config_describes(synthesized: Callable[[str], Synthesized]) -> None:
    template = proof_template(synthesized(CONTROL_TOWER))
    assert _canary_environment(template) == {
        "EBTRAIL_TRAIL_ARN": CT_TRAIL_ARN,
        "EBTRAIL_BUCKET": CT_BUCKET,
        "EBTRAIL_PREFIX": ORG,
        # SSE-S3: a trail that names a key is drift.
        "EBTRAIL_KMS_KEY": "",
        "EBTRAIL_ORGANIZATION_TRAIL": "true",
        "EBTRAIL_MAX_DELIVERY_MINUTES": "30",
        # The hourly integrity check's window: the rate plus 10 minutes (issue 20).
        "EBTRAIL_INTEGRITY_WINDOW_MINUTES": "70",
    }
    statements = _canary_statements(template)
    assert "DecryptLogFiles" not in statements and "DescribeLogKey" not in statements
    assert statements["ReadLogFiles"]["Resource"] == f"arn:aws:s3:::{CT_BUCKET}/{ORG}/AWSLogs/*"


def test_an_existing_key_is_named_by_its_arn_without_an_alias_pin(synthesized: Callable[[str], Synthesized]) -> None:
    template = proof_template(synthesized(SINGLE))
    assert _canary_environment(template)["EBTRAIL_KMS_KEY"] == SINGLE_KEY
    statements = _canary_statements(template)
    for sid in ("DecryptLogFiles", "DescribeLogKey"):
        assert statements[sid]["Resource"] == SINGLE_KEY
        assert "kms:ResourceAliases" not in json.dumps(statements[sid].get("Condition", {}))
    verifier = next(
        p
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("ManagedPolicyName") == "ebtrail-beanstalk-verifier"
    )
    sids = {s["Sid"]: s for s in verifier["Properties"]["PolicyDocument"]["Statement"]}
    assert sids["DecryptLogFiles"]["Resource"] == SINGLE_KEY
    # No topic of the adopted trail's is known: no SNS channel grants.
    assert "SubscribeDeliveryTopic" not in sids and "NotificationQueue" not in sids


def test_the_data_events_only_trail_has_exactly_these_selectors(synthesized: Callable[[str], Synthesized]) -> None:
    """Written on the L1 CfnTrail with advanced selectors only: aws-cdk's Trail with management events off
    synthesizes an event selector CloudFormation refuses (aws/aws-cdk#13966, #14076, #15488)."""
    (trail,) = resources_of_type(proof_template(synthesized(SINGLE)), "AWS::CloudTrail::Trail").values()
    properties = trail["Properties"]
    assert properties["TrailName"] == "ebtrail-beanstalk-data-events"
    assert properties["AdvancedEventSelectors"] == [
        {
            "Name": "Elastic Beanstalk storage bucket objects",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::elasticbeanstalk-"]},
                {"Field": "readOnly", "Equals": ["false"]},
            ],
        }
    ]
    assert "EventSelectors" not in properties and "InsightSelectors" not in properties
    assert properties["S3BucketName"] == "acme-cloudtrail-111111111111"
    assert properties["S3KeyPrefix"] == "audit"
    assert properties["KMSKeyId"] == SINGLE_KEY
    assert "SnsTopicName" not in properties
    assert properties["IsMultiRegionTrail"] is True and properties["EnableLogFileValidation"] is True


def test_athena_reads_the_existing_layout(synthesized: Callable[[str], Synthesized]) -> None:
    template = archive_template(synthesized(CONTROL_TOWER))
    (table,) = resources_of_type(template, "AWS::Glue::Table").values()
    text = json.dumps(table)
    assert f"s3://{CT_BUCKET}/{ORG}/AWSLogs/{ORG}/" in text
    assert "333333333333" in text and MANAGEMENT in text


# --- owner statements against a Control Tower-like bucket policy ------------------------------------------------


def control_tower_bucket_policy() -> dict[str, Any]:
    """The shape of the log archive bucket policy Control Tower writes: TLS only, the bucket ACL check and the
    organization trail's and AWS Config's writes; no reader of another account."""
    arn = f"arn:aws:s3:::{CT_BUCKET}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSSLRequestsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AWSBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
            },
            {
                "Sid": "AWSBucketDeliveryForOrganizationTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{ORG}/AWSLogs/*/*",
            },
        ],
    }


def control_tower_key_policy(*, iam_delegation: bool) -> dict[str, Any]:
    """A landing zone's own KMS key: CloudTrail and Config may use it; with ``iam_delegation`` the key's account
    (the log archive account) may also grant it with IAM (the key policy's default statement)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowCloudTrailAndConfig",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]},
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": "*",
        }
    ]
    if iam_delegation:
        statements.append(
            {
                "Sid": "EnableIAMUserPermissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{LOG_ARCHIVE}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def with_statements(policy: dict[str, Any], statements: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(policy)
    out["Statement"] += statements
    return out


def role(account: str, name: str) -> Principal:
    return Principal("AWS", f"arn:aws:iam::{account}:role/{name}")


def s3_read(who: Principal, key: str) -> Request:
    context: dict[str, ContextValue] = {"aws:PrincipalArn": who.identifier, "aws:SecureTransport": "true"}
    return Request(who, "s3:GetObject", f"arn:aws:s3:::{CT_BUCKET}/{key}", context)


def s3_list(who: Principal, prefix: str) -> Request:
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": who.identifier,
        "aws:SecureTransport": "true",
        "s3:prefix": prefix,
    }
    return Request(who, "s3:ListBucket", f"arn:aws:s3:::{CT_BUCKET}", context)


def kms_decrypt(who: Principal) -> Request:
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": who.identifier,
        "kms:ViaService": "s3.us-east-1.amazonaws.com",
        "kms:EncryptionContext:aws:cloudtrail:arn": CT_TRAIL_ARN,
    }
    return Request(who, "kms:Decrypt", "arn:aws:kms:us-east-1:222222222222:key/ct", context)


CANARY = role(MANAGEMENT, "ebtrail-delivery-canary")
VERIFIER = role(MANAGEMENT, "ebtrail-beanstalk-verifier")
ATHENA_USER = role(LOG_ARCHIVE, "SecurityAnalyst")
OWN_FILE = f"{ORG}/AWSLogs/{ORG}/{MANAGEMENT}/CloudTrail/us-east-1/2026/12/07/{MANAGEMENT}_CloudTrail_x.json.gz"
OTHER_FILE = f"{ORG}/AWSLogs/{ORG}/333333333333/CloudTrail/us-east-1/2026/12/07/333333333333_CloudTrail_x.json.gz"


@pytest.fixture
def owner(synthesized: Callable[[str], Synthesized]) -> dict[str, Any]:
    """The owner statements of the Control Tower example with a KMS key (the landing zone's own key)."""
    result = synthesized(CONTROL_TOWER)
    assert result.built.proof is not None
    layer = result.built.proof.layer
    policies: dict[str, Any] = layer.owner_policies()
    # The example is SSE-S3; the key statements are built the same for a key (checked on the key example below).
    assert policies["key_policy_statements"] == []
    return policies


@pytest.mark.parametrize("reader", [CANARY, VERIFIER], ids=["canary", "verifier"])
def test_without_the_owner_statements_the_readers_are_denied_and_with_them_allowed(
    owner: dict[str, Any], reader: Principal
) -> None:
    before = control_tower_bucket_policy()
    after = with_statements(before, owner["bucket_policy_statements"])
    for request in (s3_read(reader, OWN_FILE), s3_list(reader, f"{ORG}/AWSLogs/{ORG}/{MANAGEMENT}/CloudTrail/")):
        assert evaluate(before, request).verdict is Verdict.IMPLICIT_DENY, request.action
        assert evaluate(after, request).verdict is Verdict.ALLOWED, request.action
    # Still its own account's files only, and never without TLS.
    assert evaluate(after, s3_read(reader, OTHER_FILE)).verdict is Verdict.IMPLICIT_DENY
    plain = Request(reader, "s3:GetObject", f"arn:aws:s3:::{CT_BUCKET}/{OWN_FILE}", {"aws:SecureTransport": "false"})
    assert evaluate(after, plain).verdict is Verdict.EXPLICIT_DENY
    # And nobody else of the management account.
    other = role(MANAGEMENT, "Developer")
    assert evaluate(after, s3_read(other, OWN_FILE)).verdict is Verdict.IMPLICIT_DENY


def test_key_owner_statements_let_the_readers_and_athena_decrypt(synthesized: Callable[[str], Synthesized]) -> None:
    """The Control Tower example with the landing zone's KMS key: the canary and verifier (management account)
    and Athena's users (log archive account, when the key does not delegate to IAM) may decrypt CloudTrail's
    files only with the owner's key statements."""
    text = (CONFIG_FIXTURES / CONTROL_TOWER).read_text()
    key = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = load_config(CONFIG_FIXTURES / CONTROL_TOWER)
    config = config.model_copy(update={"trail": config.trail.model_copy(update={"kms_key_arn": key})})
    assert "kms_key_arn" in text  # the example documents the setting
    built = build_app(plan(config), compliance=False)
    assert built.proof is not None
    statements = built.proof.layer.owner_policies()["key_policy_statements"]
    assert statements
    for delegation in (False, True):
        before = control_tower_key_policy(iam_delegation=delegation)
        after = with_statements(before, statements)
        for reader in (CANARY, VERIFIER):
            assert evaluate(before, kms_decrypt(reader)).verdict is Verdict.IMPLICIT_DENY
            assert evaluate(after, kms_decrypt(reader)).verdict is Verdict.ALLOWED
        expected_before = Verdict.ALLOWED if delegation else Verdict.IMPLICIT_DENY
        assert evaluate(before, kms_decrypt(ATHENA_USER)).verdict is expected_before
        assert evaluate(after, kms_decrypt(ATHENA_USER)).verdict is Verdict.ALLOWED
    # Only CloudTrail's files: without the encryption context the readers' decrypt is not allowed.
    bare = Request(CANARY, "kms:Decrypt", "arn:aws:kms:us-east-1:222222222222:key/ct", {})
    assert evaluate(with_statements(control_tower_key_policy(iam_delegation=False), statements), bare).verdict is (
        Verdict.IMPLICIT_DENY
    )


def test_preflight_readers_says_whether_the_owner_applied_them(owner: dict[str, Any]) -> None:
    """``preflight --trail ... --readers ebtrail`` on the deployed Control Tower trail: the proof layer's reads
    fail against Control Tower's own bucket policy and pass once the owner statements are in it."""
    subject = TrailSubject(
        arn=CT_TRAIL_ARN,
        home_region="us-east-1",
        multi_region=True,
        bucket=CT_BUCKET,
        prefix=f"{ORG}/",
        organization_id=ORG,
        is_organization_trail=True,
        source="deployed",
    )
    checks = reader_checks(subject, "ebtrail")
    assert {c.request.principal.identifier for c in checks} == {CANARY.identifier, VERIFIER.identifier}
    assert any(not c.must_allow for c in checks)
    before = control_tower_bucket_policy()
    after = with_statements(before, owner["bucket_policy_statements"])
    for policy, applied in ((before, False), (after, True)):
        report = preflight_trail(replace(subject, bucket_policy=policy), checks)
        results = [r for r in report.results if r.check in checks]
        assert len(results) == len(checks)
        assert all(r.ok is applied for r in results if r.check.must_allow), [r.explain() for r in results]
        assert all(r.ok is True for r in results if not r.check.must_allow)


def test_the_library_example_proves_a_trail_given_by_arn_and_bucket(tmp_path: Path) -> None:
    """``examples/adopt-app/app.py`` synthesizes a stack with the proof layer and no trail, bucket or key of its own,
    and prints the owner statements (run as a user runs it: its own process, its own jsii)."""
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    app = REPO_ROOT / "examples" / "adopt-app" / "app.py"
    ran = subprocess.run(
        [sys.executable, str(app)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    template = json.loads((tmp_path / "PlatformProof.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::Scheduler::Schedule", "AWS::Logs::MetricFilter"} <= types
    assert not types & {"AWS::CloudTrail::Trail", "AWS::S3::Bucket", "AWS::S3::BucketPolicy"}
    printed = json.loads(ran.stdout)
    sids = [statement["Sid"] for statement in printed["bucket_policy_statements"]]
    assert sids == [
        "AllowCanaryRead123456789012",
        "AllowCanaryList",
        "AllowVerifierRead123456789012",
        "AllowVerifierList",
    ]
    assert printed["key_policy_statements"] == []


@pytest.mark.parametrize("config_file", ADOPTED)
def test_make_synth_summary_points_at_preflight_readers_and_passes(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The offline preflight cannot see the owner's policies: the summary says which command checks them after the
    deploy instead of failing ``make synth``."""
    built = build_app(plan(load_config(CONFIG_FIXTURES / config_file)), compliance=False)
    assembly = built.app.synth()
    assert summary.main([assembly.directory]) == 0
    out = capsys.readouterr().out
    existing = load_config(CONFIG_FIXTURES / config_file).existing_trail
    assert existing is not None
    assert f"'ebtrail-verify preflight --trail {existing.target.arn} --readers ebtrail'" in out
    assert "cannot evaluate" not in out


def test_an_existing_trail_is_read_from_its_arn_and_bad_values_are_refused() -> None:
    trail = ExistingTrail.from_arn(
        CT_TRAIL_ARN,
        bucket=CT_BUCKET,
        bucket_account=LOG_ARCHIVE,
        bucket_region="us-east-1",
        log_prefix=f"{ORG}/",
        organization_id=ORG,
    )
    assert (trail.target.account, trail.target.home_region, trail.target.name) == (
        MANAGEMENT,
        "us-east-1",
        "aws-controltower-BaselineCloudTrail",
    )
    assert trail.target.arn == CT_TRAIL_ARN and trail.target.verifier_read_path == f"AWSLogs/{ORG}/{MANAGEMENT}/"
    with pytest.raises(ValueError, match="not a trail ARN"):
        ExistingTrail.from_arn(
            f"arn:aws:s3:::{CT_BUCKET}", bucket=CT_BUCKET, bucket_account=LOG_ARCHIVE, bucket_region="us-east-1"
        )
    with pytest.raises(ValueError, match="end with '/'"):
        ExistingTrail.from_arn(
            CT_TRAIL_ARN, bucket=CT_BUCKET, bucket_account=LOG_ARCHIVE, bucket_region="us-east-1", log_prefix=ORG
        )


def test_a_trail_without_management_events_needs_data_events() -> None:
    """A trail with no selector at all would record nothing; refused before CloudFormation would take it."""
    stack = Stack(App(), "Empty")
    props = AuditTrailProps(
        trail_name="nothing",
        bucket_name="b-bucket",
        kms_key_id=None,
        sns_topic_name=None,
        record_management_events=False,
    )
    with pytest.raises(ValueError, match="needs data_event_arn_prefixes"):
        AuditTrail(stack, "Trail", props)


def test_the_proof_layer_runs_in_a_member_account_and_the_cis_alarms_stay_with_the_log_group() -> None:
    """``trail.proof_account``: the canary, verifier and alerts in a member account the organization trail records,
    reading that member's folder; the CIS filters in the trail's account, where Control Tower's log group is."""
    member = "333333333333"
    data = tomllib.loads((CONFIG_FIXTURES / CONTROL_TOWER).read_text())
    data["trail"]["proof_account"] = member
    built = build_app(plan(parse_config(data)))
    assert built.proof is not None and built.alarms is not None
    assert (built.proof.account, built.alarms.account) == (member, MANAGEMENT)
    proof: dict[str, Any] = dict(Template.from_stack(built.proof).to_json())
    alarms: dict[str, Any] = dict(Template.from_stack(built.alarms).to_json())
    assert not resources_of_type(proof, "AWS::Logs::MetricFilter")
    assert len(resources_of_type(alarms, "AWS::Logs::MetricFilter")) == len(CIS_FILTERS) + 1
    assert not resources_of_type(alarms, "AWS::Lambda::Function") and not resources_of_type(alarms, "AWS::IAM::Role")
    environment = _canary_environment(proof)
    assert environment["EBTRAIL_TRAIL_ARN"] == CT_TRAIL_ARN  # the management account's trail, seen from the member
    statements = {s["Sid"]: s for s in built.proof.layer.owner_policies()["bucket_policy_statements"]}
    assert statements[f"AllowCanaryRead{member}"]["Resource"] == (
        f"arn:aws:s3:::{CT_BUCKET}/{ORG}/AWSLogs/{ORG}/{member}/*"
    )
    assert statements[f"AllowCanaryRead{member}"]["Principal"] == {"AWS": f"arn:aws:iam::{member}:root"}
    # preflight --readers with --readers-account checks the member's roles and folder.
    subject = TrailSubject(
        arn=CT_TRAIL_ARN,
        home_region="us-east-1",
        multi_region=True,
        bucket=CT_BUCKET,
        prefix=f"{ORG}/",
        organization_id=ORG,
        is_organization_trail=True,
        bucket_policy=with_statements(control_tower_bucket_policy(), list(statements.values())),
    )
    checks = reader_checks(subject, "ebtrail", member)
    assert {c.request.principal.identifier.split(":")[4] for c in checks} == {member}
    report = preflight_trail(subject, checks)
    assert all(r.ok for r in report.results if r.check in checks)
