"""The organization guardrail (tests/fixtures/configs/all-features.toml): the service control policy and where it
lives."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from deployment.config import ConfigError, parse_config
from deployment.plan import plan
from ebtrail.constructs.organization_guardrails import (
    GUARDRAILS_POLICY_SIZE_MESSAGE,
    OrganizationGuardrails,
    OrganizationGuardrailsProps,
    scp_characters,
)
from ebtrail.constructs.policy_size import SCP_SIZE_LIMIT
from stacks.app_builder import build_app
from tests.cdk.policy_helpers import only_resource, statement
from tests.cdk.synth_cache import Synthesized
from tests.config.config_changes import with_changes
from tests.fixtures.paths import fixture_data

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
    assert scp_characters(policy["Content"]) < SCP_SIZE_LIMIT
    # Counted with the spaces an API call keeps ("Quotas and service limits for AWS Organizations"): never less than
    # the compact JSON.
    assert scp_characters(policy["Content"]) > len(json.dumps(policy["Content"], separators=(",", ":")))


#: Enough exempt role patterns (each appears in all four statements) to pass the 5,120-character limit.
MANY_ROLES = [f"arn:aws:iam::222222222222:role/deployment-role-number-{n:03}" for n in range(30)]


def _guardrails_props(exempt: list[str], **message: str) -> OrganizationGuardrailsProps:
    return OrganizationGuardrailsProps(
        policy_name="p",
        trail_arn="arn:aws:cloudtrail:us-east-1:111111111111:trail/t",
        log_bucket_arn="arn:aws:s3:::b",
        log_key_arns="arn:aws:kms:us-east-1:222222222222:key/*",
        log_key_alias="alias/a",
        log_key_alias_arn="arn:aws:kms:us-east-1:222222222222:alias/a",
        exempt_principal_arns=tuple(exempt),
        target_ids=("r-a1b2",),
        **message,
    )


def test_an_oversized_scp_fails_synthesis_saying_what_to_shorten() -> None:
    """Issue 17, item 8: checked at synth (node.add_validation), not only in this test file."""
    stack = Stack(App(), "Guardrails", env={"account": "111111111111", "region": "us-east-1"})
    guardrails = OrganizationGuardrails(stack, "Guardrails", _guardrails_props(MANY_ROLES))
    size = scp_characters(guardrails.document)
    assert size > SCP_SIZE_LIMIT
    with pytest.raises(RuntimeError) as failure:
        Template.from_stack(stack)
    assert f"guardrails service control policy: {size:,} characters, over the 5,120-character limit" in str(
        failure.value
    )
    # The library's default names the construct's prop, not an app's config field.
    assert f"limit; {GUARDRAILS_POLICY_SIZE_MESSAGE}" in str(failure.value)
    assert "shorten OrganizationGuardrailsProps.exempt_principal_arns" in GUARDRAILS_POLICY_SIZE_MESSAGE


def test_the_size_error_says_what_the_policy_size_message_prop_says() -> None:
    stack = Stack(App(), "Guardrails", env={"account": "111111111111", "region": "us-east-1"})
    OrganizationGuardrails(stack, "Guardrails", _guardrails_props(MANY_ROLES, policy_size_message="ask the admins"))
    with pytest.raises(RuntimeError, match=r"over the 5,120-character limit; ask the admins") as failure:
        Template.from_stack(stack)
    assert "exempt_principal_arns" not in str(failure.value)


def test_a_small_scp_passes_the_synth_check() -> None:
    stack = Stack(App(), "Guardrails", env={"account": "111111111111", "region": "us-east-1"})
    OrganizationGuardrails(stack, "Guardrails", _guardrails_props(MANY_ROLES[:3]))
    Template.from_stack(stack)


def test_an_oversized_scp_is_a_config_error_on_exempt_roles() -> None:
    data = fixture_data("all-features.toml")
    roles = [*data["organization"]["guardrails"]["exempt_roles"], *MANY_ROLES]
    config = parse_config(with_changes(data, **{"organization.guardrails.exempt_roles": roles}))
    with pytest.raises(ConfigError) as error:
        build_app(plan(config), compliance=False)
    [problem] = error.value.problems
    assert problem.path == "organization.guardrails.exempt_roles"
    assert "over the 5,120-character limit" in problem.message
    assert "shorten organization.guardrails.exempt_roles (fewer patterns" in problem.message


def test_the_app_words_the_scp_error_through_the_construct_s_own_validation() -> None:
    """Issue 18: one check. Without the app's early report, synthesis fails on the construct's validation, worded
    with the config field the app passed as ``policy_size_message``."""
    data = fixture_data("all-features.toml")
    roles = [*data["organization"]["guardrails"]["exempt_roles"], *MANY_ROLES]
    config = parse_config(with_changes(data, **{"organization.guardrails.exempt_roles": roles}))
    built = build_app(plan(config), compliance=False, enforce_policy_limits=False)
    assert built.guardrails is not None
    with pytest.raises(RuntimeError, match=r"5,120-character limit; .* shorten organization\.guardrails\.exempt_roles"):
        Template.from_stack(built.guardrails)


def test_no_guardrail_stack_without_guardrails(synthesized: Callable[[str], Synthesized]) -> None:
    assert synthesized("organization.toml").built.guardrails is None


def test_guardrails_may_deploy_to_a_delegated_administrator_for_organizations() -> None:
    """Issue 17, item 12: README and code agree. "Delegated administrator for AWS Organizations" (Organizations User
    Guide) lets a member account manage policies; ``deployment_account`` puts the stack there, the policy unchanged."""
    data = fixture_data("all-features.toml")
    default = build_app(plan(parse_config(data)), compliance=False).guardrails
    delegated = build_app(
        plan(parse_config(with_changes(data, **{"organization.guardrails.deployment_account": "666666666666"}))),
        compliance=False,
    ).guardrails
    assert default is not None and delegated is not None
    assert (default.account, default.region) == ("111111111111", "us-east-1")  # the management account
    assert (delegated.account, delegated.region) == ("666666666666", "us-east-1")
    assert delegated.guardrails.document == default.guardrails.document


def test_deployment_account_must_be_an_account_id() -> None:
    data = with_changes(fixture_data("all-features.toml"), **{"organization.guardrails.deployment_account": "me"})
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    assert [p.path for p in error.value.problems] == ["organization.guardrails.deployment_account"]
