"""Validation of the optional features (cloudwatch_logs, ...): each refusal names its field and what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deployment.config import OrganizationConfig, parse_config
from tests.config.config_changes import problems_of, with_changes
from tests.fixtures.paths import fixture_data

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT = fixture_data("default.toml")
ALL_FEATURES = fixture_data("all-features.toml")


def test_every_feature_is_off_by_default() -> None:
    config = parse_config(DEFAULT)
    assert config.cloudwatch_logs.enabled is False
    assert config.trail.beanstalk_data_events == "off"
    assert config.trail.insights is False
    assert config.beanstalk_events.enabled is False


def test_all_features_config_turns_every_feature_on() -> None:
    config = parse_config(ALL_FEATURES)
    assert isinstance(config, OrganizationConfig)
    assert config.cloudwatch_logs.enabled is True
    assert config.cloudwatch_logs.retention_days == 365
    assert config.trail.beanstalk_data_events == "WriteOnly"
    assert config.trail.insights is True
    assert config.beanstalk_events.enabled is True
    assert config.guardrails is not None


@pytest.mark.parametrize("days", [0, 2, 364, 4000])
def test_log_retention_must_be_a_value_cloudwatch_logs_accepts(days: int) -> None:
    problems = problems_of(
        with_changes(DEFAULT, **{"cloudwatch_logs.enabled": True, "cloudwatch_logs.retention_days": days})
    )
    assert problems["cloudwatch_logs.retention_days"].startswith("allowed: 1, 3, 5, 7, 14, 30")
    assert f"got {days}" in problems["cloudwatch_logs.retention_days"]


def test_cis_alarms_need_the_alert_topic() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"cloudwatch_logs.enabled": True, "alerts.enabled": False}))
    assert "alerts.enabled = true" in problems["cloudwatch_logs.enabled"]


def test_cis_alarms_need_a_subscriber_on_the_alert_topic() -> None:
    """Security Hub CloudWatch.1-.14 need a subscriber on the alarms' topic (issue 17, item 6)."""
    problems = problems_of(with_changes(DEFAULT, **{"cloudwatch_logs.enabled": True, "alerts.emails": []}))
    assert list(problems) == ["alerts.emails"]
    assert "CloudWatch.1 to .14" in problems["alerts.emails"]
    assert "allowed: at least one e-mail address" in problems["alerts.emails"]
    assert "cloudwatch_logs.enabled = false" in problems["alerts.emails"]
    # One address is enough; without CloudWatch Logs no address is needed.
    parse_config(with_changes(DEFAULT, **{"cloudwatch_logs.enabled": True, "alerts.emails": ["sec@example.com"]}))
    parse_config(with_changes(DEFAULT, **{"alerts.emails": []}))


def test_the_integrity_sweep_needs_a_subscriber() -> None:
    """An enabled sweep without alerts.emails would alarm to a topic nobody is subscribed to."""
    problems = problems_of(with_changes(DEFAULT, **{"integrity_sweep.enabled": True, "alerts.emails": []}))
    assert list(problems) == ["alerts.emails"]
    assert "with integrity_sweep.enabled" in problems["alerts.emails"]
    assert "allowed: at least one e-mail address, or integrity_sweep.enabled = false" in problems["alerts.emails"]
    parse_config(with_changes(DEFAULT, **{"integrity_sweep.enabled": True, "alerts.emails": ["sec@example.com"]}))


def test_insights_need_write_management_events() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"trail.insights": True, "trail.management_events": "ReadOnly"}))
    assert 'trail.management_events = "All" or "WriteOnly"' in problems["trail.insights"]


def test_beanstalk_data_events_says_what_is_allowed() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"trail.beanstalk_data_events": "writes"}))
    assert "'off', 'WriteOnly' or 'All'" in problems["trail.beanstalk_data_events"]


GUARDED = with_changes(
    ALL_FEATURES,
    **{
        "organization.guardrails": {
            "targets": ["r-a1b2"],
            "exempt_roles": ["arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1"],
        }
    },
)


def test_guardrail_that_spares_the_archive_deployment_role_is_accepted() -> None:
    config = parse_config(GUARDED)
    assert config.guardrails is not None


@pytest.mark.parametrize(
    "pattern",
    [
        "arn:aws:iam::222222222222:role/cdk-*-cfn-exec-role-*",
        "arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",
        "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-?",
    ],
)
def test_patterns_match_the_deployment_role_as_arn_like_does(pattern: str) -> None:
    parse_config(with_changes(GUARDED, **{"organization.guardrails.exempt_roles": [pattern]}))


@pytest.mark.parametrize(
    "roles",
    [
        ["arn:aws:iam::222222222222:role/Admin"],
        ["arn:aws:iam::333333333333:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1"],
        ["arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-eu-west-1"],
    ],
)
def test_guardrail_that_would_lock_out_the_deployment_role_is_refused(roles: list[str]) -> None:
    problems = problems_of(with_changes(GUARDED, **{"organization.guardrails.exempt_roles": roles}))
    message = problems["organization.guardrails.exempt_roles"]
    assert "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1" in message
    assert "lock" in message


def test_bootstrap_qualifier_names_the_deployment_role() -> None:
    problems = problems_of(with_changes(GUARDED, **{"organization.guardrails.bootstrap_qualifier": "custom1"}))
    assert "cdk-custom1-cfn-exec-role-222222222222-us-east-1" in problems["organization.guardrails.exempt_roles"]


def test_guardrail_cannot_protect_an_archive_in_the_management_account() -> None:
    data = with_changes(GUARDED, **{"archive.account": "111111111111"})
    data["organization"]["guardrails"]["exempt_roles"] = [
        "arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-us-east-1"
    ]
    problems = problems_of(data)
    assert "never restrict the management account" in problems["organization.guardrails"]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("targets", ["o-a1b2c3d4e5"], "the organization root ID (r-...)"),
        ("targets", [], "at least 1"),
        ("exempt_roles", ["arn:aws:iam::222222222222:user/alice"], "an IAM role ARN"),
        ("exempt_roles", [], "at least 1"),
        ("bootstrap_qualifier", "Has-Upper", "1 to 10 lowercase"),
    ],
)
def test_guardrail_fields_say_what_is_allowed(field: str, value: Any, allowed: str) -> None:
    problems = problems_of(with_changes(GUARDED, **{f"organization.guardrails.{field}": value}))
    assert allowed in " ".join(problems.values())


def test_beanstalk_events_need_a_trail_name_that_fits_firehose_names() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"beanstalk_events.enabled": True, "trail.name": "t" * 48}))
    assert "at most 47 characters" in problems["trail.name"]
    parse_config(with_changes(DEFAULT, **{"beanstalk_events.enabled": True, "trail.name": "t" * 47}))


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("detail_types", ["AWS API Call via CloudTrail"], "Elastic Beanstalk resource status change"),
        ("detail_types", [], "at least 1"),
        ("buffer_seconds", 30, "allowed: at least 60; got 30"),
    ],
)
def test_beanstalk_events_fields_say_what_is_allowed(field: str, value: Any, allowed: str) -> None:
    problems = problems_of(with_changes(DEFAULT, **{f"beanstalk_events.{field}": value}))
    assert allowed in problems[f"beanstalk_events.{field}" + ("[0]" if field == "detail_types" and value else "")]
