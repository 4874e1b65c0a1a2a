"""Config validation: each refusal names its field and what is allowed, all problems at once."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployment.config import ConfigError, load_config, parse_config
from tests.config.config_changes import problems_of, with_changes
from tests.fixtures.paths import CONFIG_FIXTURES, EXAMPLE_CONFIGS_DIR, fixture_data

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT = fixture_data("default.toml")


@pytest.mark.parametrize("example", sorted(path.name for path in EXAMPLE_CONFIGS_DIR.glob("*.toml")))
def test_every_example_config_users_copy_is_valid(example: str) -> None:
    """The tests synthesize fixtures (tests/fixtures/configs), not the examples in config/; this keeps the examples
    honest without a synth (``make e2e`` deploys each of them)."""
    load_config(EXAMPLE_CONFIGS_DIR / example)


def test_the_examples_include_the_default_that_make_synth_uses() -> None:
    assert (EXAMPLE_CONFIGS_DIR / "default.toml").is_file()


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "abcdefghijkl", "12345678901a"])
def test_account_id_must_be_12_digits(account: str) -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.account": account}))
    assert "archive.account" in problems
    assert "a 12-digit AWS account ID" in problems["archive.account"]
    assert repr(account) in problems["archive.account"]


def test_unknown_region_is_refused_with_an_example() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.region": "us-east-9", "trail.home_region": "mars-1"}))
    assert "unknown region 'us-east-9'" in problems["archive.region"]
    assert "us-east-1" in problems["archive.region"]
    assert "unknown region 'mars-1'" in problems["trail.home_region"]


@pytest.mark.parametrize("prefix", ["AWSLogs/mine", "AWSLogs", "/leading", "trailing/", "double//slash", "spa ce"])
def test_bad_key_prefixes_are_refused(prefix: str) -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.key_prefix": prefix}))
    assert "archive.key_prefix" in problems


def test_key_prefix_awslogs_message_says_why() -> None:
    message = problems_of(with_changes(DEFAULT, **{"archive.key_prefix": "AWSLogs/x"}))["archive.key_prefix"]
    assert "must not start with 'AWSLogs/'" in message


def test_transitions_out_of_order_are_refused() -> None:
    problems = problems_of(
        with_changes(
            DEFAULT,
            **{
                "archive.lifecycle.transitions": [
                    {"storage_class": "GLACIER", "days": 90},
                    {"storage_class": "STANDARD_IA", "days": 60},
                ]
            },
        )
    )
    assert "increasing days" in problems["archive.lifecycle.transitions[1].days"]
    assert "waterfall" in problems["archive.lifecycle.transitions[1].storage_class"]
    assert "DEEP_ARCHIVE" in problems["archive.lifecycle.transitions[1].storage_class"]


def test_standard_ia_below_30_days_is_refused() -> None:
    problems = problems_of(
        with_changes(DEFAULT, **{"archive.lifecycle.transitions": [{"storage_class": "STANDARD_IA", "days": 10}]})
    )
    assert "at least 30 days" in problems["archive.lifecycle.transitions[0].days"]


def test_expiration_must_follow_the_last_transition() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.lifecycle.expiration_days": 180}))
    assert "after the last transition" in problems["archive.lifecycle.expiration_days"]


@pytest.mark.parametrize(("storage_class", "minimum"), [("GLACIER", 90), ("DEEP_ARCHIVE", 180)])
def test_expiration_before_minimum_storage_is_refused_unless_accepted(storage_class: str, minimum: int) -> None:
    data = with_changes(
        DEFAULT,
        **{
            "archive.lifecycle.transitions": [{"storage_class": storage_class, "days": 100}],
            "archive.lifecycle.expiration_days": 100 + minimum - 1,
        },
    )
    message = problems_of(data)["archive.lifecycle.expiration_days"]
    assert f"{minimum}-day minimum storage duration" in message
    assert "accept_early_deletion_charge" in message
    data["archive"]["lifecycle"]["accept_early_deletion_charge"] = True
    parse_config(data)


def test_object_lock_longer_than_expiration_is_refused() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.object_lock": {"mode": "COMPLIANCE", "days": 3000}}))
    assert "must not be longer than archive.lifecycle.expiration_days (2557)" in problems["archive.object_lock.days"]


def test_object_lock_mode_must_be_known() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.object_lock": {"mode": "STRICT", "days": 30}}))
    assert "'GOVERNANCE' or 'COMPLIANCE'" in problems["archive.object_lock.mode"]


def test_unknown_fields_are_refused() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"trail.nmae": "typo"}))
    assert "unknown field" in problems["trail.nmae"]


def test_trail_name_rules() -> None:
    for name in ("ab", "-starts-with-dash", "has space", "two..dots", "x" * 129):
        assert "trail.name" in problems_of(with_changes(DEFAULT, **{"trail.name": name})), name


def test_single_account_topology_needs_one_account() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"trail.account": "222222222222"}))
    assert "allowed: 111111111111" in problems["trail.account"]


def test_every_problem_is_reported_at_once() -> None:
    structural = problems_of(
        with_changes(
            DEFAULT,
            **{
                "archive.account": "1",
                "archive.region": "nowhere-1",
                "archive.key_prefix": "AWSLogs/x",
                "trail.management_events": "Some",
                "trail.notification_emails": ["not-an-address"],
            },
        )
    )
    assert set(structural) == {
        "archive.account",
        "archive.region",
        "archive.key_prefix",
        "trail.management_events",
        "trail.notification_emails[0]",
    }
    semantic = problems_of(
        with_changes(
            DEFAULT,
            **{
                "archive.lifecycle.transitions": [{"storage_class": "STANDARD_IA", "days": 5}],
                "archive.lifecycle.expiration_days": 3,
                "archive.object_lock": {"mode": "GOVERNANCE", "days": 10},
                "trail.account": "222222222222",
            },
        )
    )
    assert set(semantic) == {
        "archive.lifecycle.transitions[0].days",
        "archive.lifecycle.expiration_days",
        "archive.object_lock.days",
        "trail.account",
    }


def test_lifecycle_problems_are_reported_together_with_structural_ones() -> None:
    problems = problems_of(
        with_changes(
            DEFAULT,
            **{
                "archive.account": "1",
                "trail.management_events": "Some",
                "archive.lifecycle.transitions": [{"storage_class": "STANDARD_IA", "days": 5}],
                "archive.object_lock": {"mode": "GOVERNANCE", "days": 5000},
            },
        )
    )
    assert set(problems) == {
        "archive.account",
        "trail.management_events",
        "archive.lifecycle.transitions[0].days",
        "archive.object_lock.days",
    }


def test_error_message_lists_path_and_allowed_values() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(with_changes(DEFAULT, **{"trail.management_events": "Some"}), "config/x.toml")
    text = str(error.value)
    assert text.startswith("config/x.toml: 1 problem(s)")
    assert "trail.management_events: allowed: 'All', 'ReadOnly' or 'WriteOnly'; got 'Some'" in text


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[archive\naccount = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_app_exits_2_with_field_errors_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((CONFIG_FIXTURES / "default.toml").read_text().replace('"111111111111"', '"42"', 1))
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps({"config": str(bad)})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "archive.account" in result.stderr
    assert "Traceback" not in result.stderr


def test_accounts_topology_refusals() -> None:
    data = fixture_data("multi-account.toml")
    data["trail"]["members"].append({"account": "333333333333", "home_region": "us-west-2"})
    data["trail"]["members"].append({"account": "666666666666"})
    data["trail"]["account"] = "222222222222"
    problems = problems_of(data)
    assert "duplicate account 333333333333" in problems["trail.members[2].account"]
    assert "home region" in problems["trail.members[3].home_region"]
    assert "not used by the accounts topology" in problems["trail.account"]


def test_organization_topology_refusals() -> None:
    data = fixture_data("organization.toml")
    data["trail"]["members"].append({"account": "111111111111"})
    problems = problems_of(data)
    assert "management account" in problems["trail.members[2].account"]
    del data["organization"]
    assert "needs an [organization] table" in problems_of(data)["organization"]


@pytest.mark.parametrize("org_id", ["o-short", "O-ABCDEFGHIJ", "o-abcdefghij-", "a-abcdefghij", "o-" + "a" * 33])
def test_organization_id_format(org_id: str) -> None:
    data = fixture_data("organization.toml")
    data["organization"]["id"] = org_id
    assert "organization.id" in problems_of(data)


def test_readers_must_be_roles_or_users() -> None:
    data = fixture_data("multi-account.toml")
    data["archive"]["log_readers"] = ["arn:aws:iam::555555555555:root", "arn:aws:s3:::bucket"]
    problems = problems_of(data)
    assert set(problems) == {"archive.log_readers[0]", "archive.log_readers[1]"}


def test_canary_defaults() -> None:
    config = parse_config(copy.deepcopy(DEFAULT), "test.toml")
    assert (config.canary.enabled, config.canary.rate_minutes, config.canary.max_delivery_minutes) == (True, 60, 30)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("canary.rate_minutes", 10, "allowed: at least 15; got 10"),
        ("canary.rate_minutes", 1441, "allowed: at most 1440; got 1441"),
        ("canary.max_delivery_minutes", 5, "allowed: at least 15; got 5"),
        ("canary.rate_minutes", "hourly", "allowed: a whole number, without quotes; got 'hourly' (a string)"),
    ],
)
def test_canary_bounds(field: str, value: Any, says: str) -> None:
    problems = problems_of(with_changes(DEFAULT, **{field: value}))
    assert problems[field] == says


def test_canary_needs_the_alert_topic_for_its_alarms() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"alerts.enabled": False}))
    assert problems == {
        "canary.enabled": "the canary's alarms publish to the alert topic, which alerts.enabled = false removes; "
        "allowed: alerts.enabled = true, or canary.enabled = false"
    }
    parse_config(
        with_changes(DEFAULT, **{"alerts.enabled": False, "canary.enabled": False}), "test.toml"
    )  # both off is fine
