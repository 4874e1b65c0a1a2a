"""The accounts and organization topologies: every account's statement, every condition, stack layout."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from deployment.config import ConfigError, parse_config
from deployment.plan import plan
from stacks.app_builder import build_app
from stacks.summary import read_stacks, verifier_lines
from tests.cdk.policy_helpers import (
    log_bucket_policy,
    log_key_policy,
    only_resource,
    statement,
    statements_for_principal,
)
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import CONFIG_FIXTURES

CLOUDTRAIL = {"Service": "cloudtrail.amazonaws.com"}
LOG_BUCKET_ARN = {"Fn::GetAtt": ["LogBucket7273C8DB", "Arn"]}
MEMBER_TRAILS = {
    "333333333333": "arn:aws:cloudtrail:us-east-1:333333333333:trail/ebtrail-beanstalk-audit",
    "444444444444": "arn:aws:cloudtrail:eu-west-1:444444444444:trail/ebtrail-beanstalk-audit",
}
ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-org-beanstalk-audit"


def _object_arn(path: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [LOG_BUCKET_ARN, path]]}


def _bucket_policy(result: Synthesized) -> dict[str, Any]:
    return log_bucket_policy(result.archive_json)


def _key_policy(result: Synthesized) -> dict[str, Any]:
    return log_key_policy(result.archive_json)


@pytest.fixture(scope="module")
def accounts(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("multi-account.toml")


@pytest.fixture(scope="module")
def organization(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("organization.toml")


# --- accounts topology ----------------------------------------------------------------------------------


def test_accounts_one_stack_per_account_and_role_each_with_its_environment(accounts: Synthesized) -> None:
    envs = {stack.stack_name: (stack.account, stack.region) for stack in accounts.built.stacks}
    assert envs == {
        "ebtrail-log-archive": ("222222222222", "eu-west-1"),
        "ebtrail-trail-333333333333": ("333333333333", "us-east-1"),
        "ebtrail-trail-444444444444": ("444444444444", "eu-west-1"),
    }
    for trail_stack in accounts.built.trails:
        assert accounts.built.log_archive in trail_stack.dependencies


def test_accounts_no_cloudformation_reference_crosses_an_account(accounts: Synthesized) -> None:
    for stack in accounts.built.stacks:
        template = accounts.json(stack.stack_name)
        assert "Outputs" not in template
        assert "Fn::ImportValue" not in str(template)


def test_accounts_each_member_writes_only_its_own_path_with_its_own_trail(accounts: Synthesized) -> None:
    policy = _bucket_policy(accounts)
    for account, trail_arn in MEMBER_TRAILS.items():
        assert statement(policy, f"AWSCloudTrailWrite{account}") == {
            "Sid": f"AWSCloudTrailWrite{account}",
            "Effect": "Allow",
            "Principal": CLOUDTRAIL,
            "Action": "s3:PutObject",
            "Resource": _object_arn(f"/beanstalk/AWSLogs/{account}/*"),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": [trail_arn]}},
        }
    assert statement(policy, "AWSCloudTrailAclCheck")["Condition"] == {
        "StringEquals": {"aws:SourceArn": sorted(MEMBER_TRAILS.values())}
    }
    assert len(statements_for_principal(policy, CLOUDTRAIL)) == 1 + len(MEMBER_TRAILS)


def test_accounts_key_allows_every_writing_account_and_named_readers(accounts: Synthesized) -> None:
    policy = _key_policy(accounts)
    encrypt = statement(policy, "AllowCloudTrailEncryptLogs")
    assert encrypt["Condition"] == {
        "StringLike": {
            "kms:EncryptionContext:aws:cloudtrail:arn": [
                "arn:aws:cloudtrail:*:333333333333:trail/*",
                "arn:aws:cloudtrail:*:444444444444:trail/*",
            ]
        },
        "StringEquals": {"aws:SourceArn": sorted(MEMBER_TRAILS.values())},
    }
    assert statement(policy, "AllowNamedLogReadersDecrypt") == {
        "Sid": "AllowNamedLogReadersDecrypt",
        "Effect": "Allow",
        "Principal": {
            "AWS": [
                "arn:aws:iam::333333333333:root",
                "arn:aws:iam::444444444444:root",
                "arn:aws:iam::555555555555:root",
            ]
        },
        "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
        "Resource": "*",
        "Condition": {
            "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"},
            "ArnEquals": {
                "aws:PrincipalArn": [
                    "arn:aws:iam::333333333333:role/ebtrail-beanstalk-verifier",
                    "arn:aws:iam::333333333333:role/ebtrail-delivery-canary",
                    "arn:aws:iam::444444444444:role/ebtrail-beanstalk-verifier",
                    "arn:aws:iam::444444444444:role/ebtrail-delivery-canary",
                    "arn:aws:iam::555555555555:role/SecurityAudit",
                ]
            },
        },
    }


def test_accounts_each_verifier_role_reads_only_its_own_account_path(accounts: Synthesized) -> None:
    policy = _bucket_policy(accounts)
    for account in MEMBER_TRAILS:
        role = f"arn:aws:iam::{account}:role/ebtrail-beanstalk-verifier"
        assert statement(policy, f"AllowVerifierRead{account}") == {
            "Sid": f"AllowVerifierRead{account}",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "s3:GetObject",
            "Resource": _object_arn(f"/beanstalk/AWSLogs/{account}/*"),
            "Condition": {"ArnEquals": {"aws:PrincipalArn": [role]}},
        }
    listing = statement(policy, "AllowVerifierList")
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Resource"] == LOG_BUCKET_ARN
    assert listing["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{a}:role/ebtrail-beanstalk-verifier" for a in MEMBER_TRAILS]},
        "StringLike": {"s3:prefix": ["beanstalk/AWSLogs/*"]},
    }


def test_single_account_needs_no_resource_policy_grants_for_the_verifier(
    synthesized: Callable[[str], Synthesized],
) -> None:
    sids = [s.get("Sid", "") for s in _bucket_policy(synthesized("default.toml"))["Statement"]]
    assert not [sid for sid in sids if sid.startswith("AllowVerifier")]


def test_accounts_member_trails_refer_to_the_archive_by_name(accounts: Synthesized) -> None:
    for account, trail_arn in MEMBER_TRAILS.items():
        template = accounts.json(f"ebtrail-trail-{account}")
        trail = only_resource(template, "AWS::CloudTrail::Trail")["Properties"]
        assert trail["S3BucketName"] == "ebtrail-logs-222222222222-eu-west-1"
        assert trail["KMSKeyId"] == "arn:aws:kms:eu-west-1:222222222222:alias/ebtrail/cloudtrail-logs"
        assert trail["S3KeyPrefix"] == "beanstalk"
        assert "IsOrganizationTrail" not in trail
        topic_policy = only_resource(template, "AWS::SNS::TopicPolicy", id_prefix="DeliveryTopic")["Properties"][
            "PolicyDocument"
        ]
        assert statement(topic_policy, "AWSCloudTrailSNSPolicy")["Condition"] == {
            "StringEquals": {"aws:SourceArn": [trail_arn]}
        }


# --- organization topology ------------------------------------------------------------------------------


def test_organization_trail_in_the_management_account(organization: Synthesized) -> None:
    envs = {stack.stack_name: (stack.account, stack.region) for stack in organization.built.stacks}
    assert envs == {
        "ebtrail-log-archive": ("222222222222", "us-east-1"),
        "ebtrail-trail-111111111111": ("111111111111", "us-east-1"),
    }
    trail = only_resource(organization.json("ebtrail-trail-111111111111"), "AWS::CloudTrail::Trail")["Properties"]
    assert trail["IsOrganizationTrail"] is True
    assert trail["IsMultiRegionTrail"] is True
    assert trail["S3KeyPrefix"] == "org"


def test_organization_write_covers_management_and_organization_paths_with_prefix(organization: Synthesized) -> None:
    policy = _bucket_policy(organization)
    assert statement(policy, "AWSCloudTrailWrite111111111111") == {
        "Sid": "AWSCloudTrailWrite111111111111",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": "s3:PutObject",
        "Resource": [_object_arn("/org/AWSLogs/111111111111/*"), _object_arn("/org/AWSLogs/o-a1b2c3d4e5/*")],
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": [ORG_TRAIL]}},
    }
    assert statement(policy, "AWSCloudTrailAclCheck")["Condition"] == {"StringEquals": {"aws:SourceArn": [ORG_TRAIL]}}
    assert len(statements_for_principal(policy, CLOUDTRAIL)) == 2


def test_organization_key_context_is_the_management_account(organization: Synthesized) -> None:
    encrypt = statement(_key_policy(organization), "AllowCloudTrailEncryptLogs")
    assert encrypt["Condition"] == {
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": ["arn:aws:cloudtrail:*:111111111111:trail/*"]},
        "StringEquals": {"aws:SourceArn": [ORG_TRAIL]},
    }


# --- policy size ----------------------------------------------------------------------------------------


def _accounts_config(member_count: int) -> dict[str, Any]:
    data = tomllib.loads((CONFIG_FIXTURES / "multi-account.toml").read_text())
    data = copy.deepcopy(data)
    data.pop("verifier")  # the trails' own statements only; verifier roles add one statement per member
    data["canary"] = {"enabled": False}  # and so do the delivery canaries' roles
    data["trail"]["members"] = [
        {"account": f"{300000000000 + i:012d}", "home_region": "us-east-1"} for i in range(member_count)
    ]
    return data


def test_an_oversized_bucket_policy_is_refused_before_deploy_with_the_way_out() -> None:
    with pytest.raises(ConfigError) as error:
        build_app(plan(parse_config(_accounts_config(60))), compliance=False)
    (problem,) = error.value.problems
    assert problem.path == "trail.members"
    assert problem.message.startswith("log bucket policy: ")
    assert "over the 20,480-byte limit" in problem.message
    assert "organization topology" in problem.message


def test_the_archive_s_own_validation_refuses_the_oversized_policy_in_the_app_s_words() -> None:
    """Issue 18: the construct's size validation is on in the app (no longer switched off for the app's own copy
    of the check), worded with the config field the app passes as ``policy_size_message``."""
    built = build_app(plan(parse_config(_accounts_config(60))), compliance=False, enforce_policy_limits=False)
    with pytest.raises(RuntimeError, match=r"log bucket policy: [\d,]+ bytes, over the 20,480-byte limit") as failure:
        Template.from_stack(built.log_archive)
    assert "split trail.members across several archives" in str(failure.value)


def test_forty_members_still_fit() -> None:
    built = build_app(plan(parse_config(_accounts_config(40))), compliance=False)
    assert len(built.trails) == 40


# --- what the verifier can read in each topology ---------------------------------------------------------------

ORG_VERIFIER = "arn:aws:iam::111111111111:role/ebtrail-beanstalk-verifier"


def test_organization_verifier_reads_the_management_accounts_own_files(organization: Synthesized) -> None:
    """The example organization config works end to end: the management account's verifier role may list the
    prefix, read its own account's files under the organization path and decrypt them; nothing else."""
    policy = _bucket_policy(organization)
    assert statement(policy, "AllowVerifierRead111111111111") == {
        "Sid": "AllowVerifierRead111111111111",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "s3:GetObject",
        "Resource": {"Fn::Join": ["", [LOG_BUCKET_ARN, "/org/AWSLogs/o-a1b2c3d4e5/111111111111/*"]]},
        "Condition": {"ArnEquals": {"aws:PrincipalArn": [ORG_VERIFIER]}},
    }
    assert statement(policy, "AllowVerifierList")["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [ORG_VERIFIER]},
        "StringLike": {"s3:prefix": ["org/AWSLogs/*"]},
    }
    readers = statement(_key_policy(organization), "AllowNamedLogReadersDecrypt")
    assert ORG_VERIFIER in readers["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    principals = readers["Principal"]["AWS"]
    assert "arn:aws:iam::111111111111:root" in (principals if isinstance(principals, list) else [principals])
    role = only_resource(organization.json("ebtrail-trail-111111111111"), "AWS::IAM::Role", id_prefix="Verifier")[
        "Properties"
    ]
    assert role["RoleName"] == "ebtrail-beanstalk-verifier"


@pytest.mark.parametrize("config_file", ["multi-account.toml", "organization.toml"])
def test_without_assumed_by_the_summary_says_the_verifier_can_prove_nothing(config_file: str, tmp_path: Path) -> None:
    data = tomllib.loads((CONFIG_FIXTURES / config_file).read_text())
    data.pop("verifier")
    built = build_app(plan(parse_config(data)))
    assembly = built.app.synth()
    stacks = read_stacks(Path(assembly.directory))
    warnings = verifier_lines(stacks)
    trail_stacks = [s.stack_name for s in stacks if not s.stack_name.endswith("-log-archive")]
    assert len(warnings) == len(trail_stacks) and all("can prove nothing" in w for w in warnings)
    with_role = read_stacks(
        Path(
            build_app(plan(parse_config(tomllib.loads((CONFIG_FIXTURES / config_file).read_text()))))
            .app.synth()
            .directory
        )
    )
    assert verifier_lines(with_role) == []
