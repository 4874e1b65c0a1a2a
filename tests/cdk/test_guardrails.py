"""The organization guardrail (tests/fixtures/configs/all-features.toml): the service control policy and where it
lives."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ebtrail.constructs.organization_guardrails import SCP_SIZE_LIMIT
from tests.cdk.policy_helpers import only_resource, statement
from tests.cdk.synth_cache import Synthesized

STACK = "ebtrail-guardrails"
EXEMPT = {
    "ArnNotLike": {
        "aws:PrincipalArn": ["arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1"]
    }
}


@pytest.fixture(scope="module")
def result(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("all-features.toml")


@pytest.fixture(scope="module")
def policy(result: Synthesized) -> dict[str, Any]:
    properties: dict[str, Any] = only_resource(result.json(STACK), "AWS::Organizations::Policy")["Properties"]
    return properties


def test_policy_is_a_service_control_policy_attached_to_the_configured_root(policy: dict[str, Any]) -> None:
    assert policy["Type"] == "SERVICE_CONTROL_POLICY"
    assert policy["Name"] == "ebtrail-protect-audit-trail"
    assert policy["TargetIds"] == ["r-a1b2"]
    assert isinstance(policy["Content"], dict), "a JSON object, so CloudFormation can detect drift"


def test_stack_is_in_the_management_account_at_the_organizations_endpoint_and_deploys_last(
    result: Synthesized,
) -> None:
    guardrails = result.built.guardrails
    assert guardrails is not None
    assert (guardrails.account, guardrails.region) == ("111111111111", "us-east-1")
    assert result.built.log_archive in guardrails.dependencies
    assert all(trail in guardrails.dependencies for trail in result.built.trails)


def test_trail_cannot_be_stopped_changed_or_deleted(policy: dict[str, Any]) -> None:
    deny = statement(policy["Content"], "ProtectTheAuditTrail")
    assert deny["Effect"] == "Deny"
    assert sorted(deny["Action"]) == [
        "cloudtrail:DeleteTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:StopLogging",
        "cloudtrail:UpdateTrail",
    ]
    assert deny["Resource"] == "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-org-beanstalk-audit"
    assert deny["Condition"] == EXEMPT


def test_log_bucket_cannot_be_deleted_or_re_policied(policy: dict[str, Any]) -> None:
    deny = statement(policy["Content"], "ProtectTheLogBucket")
    assert deny["Effect"] == "Deny"
    assert sorted(deny["Action"]) == ["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy"]
    assert deny["Resource"] == "arn:aws:s3:::ebtrail-logs-222222222222-us-east-1"
    assert deny["Condition"] == EXEMPT


def test_log_key_cannot_be_disabled_deleted_or_re_policied_nor_its_alias_moved(policy: dict[str, Any]) -> None:
    deny = statement(policy["Content"], "ProtectTheLogKey")
    assert deny["Effect"] == "Deny"
    assert sorted(deny["Action"]) == ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
    assert deny["Resource"] == "arn:aws:kms:us-east-1:222222222222:key/*"
    assert deny["Condition"] == {
        **EXEMPT,
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/ebtrail/cloudtrail-logs"]},
    }
    alias = statement(policy["Content"], "ProtectTheLogKeyAlias")
    assert alias["Effect"] == "Deny"
    assert sorted(alias["Action"]) == ["kms:DeleteAlias", "kms:UpdateAlias"]
    assert alias["Resource"] == "arn:aws:kms:us-east-1:222222222222:alias/ebtrail/cloudtrail-logs"
    assert alias["Condition"] == EXEMPT


def test_every_statement_denies_and_spares_only_the_exempt_roles(policy: dict[str, Any]) -> None:
    for deny in policy["Content"]["Statement"]:
        assert deny["Effect"] == "Deny"
        assert deny["Condition"]["ArnNotLike"] == EXEMPT["ArnNotLike"]


def test_policy_fits_the_scp_size_limit(policy: dict[str, Any]) -> None:
    assert len(json.dumps(policy["Content"], separators=(",", ":"))) < SCP_SIZE_LIMIT


def test_no_guardrail_stack_without_guardrails(synthesized: Callable[[str], Synthesized]) -> None:
    assert synthesized("organization.toml").built.guardrails is None
