"""Config rules met on day two: duplicate e-mail addresses, ``trail.previous_names``, region typos."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deployment.config import parse_config
from tests.config.config_changes import problems_of, with_changes
from tests.fixtures.paths import fixture_data

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT = fixture_data("default.toml")


@pytest.mark.parametrize("path", ["trail.notification_emails", "alerts.emails"])
@pytest.mark.parametrize(
    "emails", [["a@example.com", "a@example.com"], ["Ops@Example.com", "b@example.com", "ops@example.COM"]]
)
def test_a_duplicate_email_is_refused_with_its_path(path: str, emails: list[str]) -> None:
    problems = problems_of(with_changes(DEFAULT, **{path: emails}))
    last = len(emails) - 1
    assert set(problems) == {f"{path}[{last}]"}
    message = problems[f"{path}[{last}]"]
    assert "duplicate e-mail address" in message and f"also {path}[0]" in message
    assert repr(emails[last]) in message


def test_duplicates_in_both_lists_are_reported_at_once() -> None:
    data = with_changes(
        DEFAULT,
        **{"trail.notification_emails": ["a@example.com", "A@example.com"], "alerts.emails": ["b@x.io", "b@x.io"]},
    )
    assert set(problems_of(data)) == {"trail.notification_emails[1]", "alerts.emails[1]"}


def test_the_same_address_on_both_topics_is_allowed() -> None:
    """One address on the delivery topic and the alert topic is two subscriptions, not a duplicate."""
    config = parse_config(
        with_changes(DEFAULT, **{"trail.notification_emails": ["a@example.com"], "alerts.emails": ["a@example.com"]}),
        "test.toml",
    )
    assert config.trail.notification_emails == config.alerts.emails


def test_a_duplicate_email_in_a_synth_is_a_clear_error_not_a_jsii_traceback(tmp_path: Path) -> None:
    """The app's own entry point (what ``cdk synth`` runs): exit 2, the field path, no traceback."""
    config = tmp_path / "dup.toml"
    text = (REPO_ROOT / "tests/fixtures/configs/default.toml").read_text()
    config.write_text(
        text.replace(
            'notification_emails = ["platform-team@example.com"]',
            'notification_emails = ["platform-team@example.com", "Platform-Team@example.com"]',
        )
    )
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": f'{{"config": "{config}"}}', "CDK_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "trail.notification_emails[1]" in result.stderr
    assert "Traceback" not in result.stderr


def test_previous_names_are_trail_names_other_than_the_current_one() -> None:
    problems = problems_of(
        with_changes(
            DEFAULT,
            **{"trail.previous_names": ["ebtrail-beanstalk-audit", "old-trail", "old-trail"]},
        )
    )
    assert set(problems) == {"trail.previous_names[0]", "trail.previous_names[2]"}
    assert "current name" in problems["trail.previous_names[0]"]
    assert "duplicate name 'old-trail'" in problems["trail.previous_names[2]"]
    bad = problems_of(with_changes(DEFAULT, **{"trail.previous_names": ["bad..name"]}))
    assert "CloudTrail's trail-name rule" in bad["trail.previous_names[0]"]


@pytest.mark.parametrize(
    ("fixture", "accounts"),
    [("default.toml", ["111111111111"]), ("multi-account.toml", None), ("organization.toml", None)],
)
def test_previous_names_reach_every_trail_target(fixture: str, accounts: list[str] | None) -> None:
    config = parse_config(with_changes(fixture_data(fixture), **{"trail.previous_names": ["old-audit"]}), fixture)
    for target in config.trail_targets():
        assert target.previous_names == ("old-audit",)
        assert target.delivering_arns == [
            target.arn,
            f"arn:aws:cloudtrail:{target.home_region}:{target.account}:trail/old-audit",
        ]
    if accounts is not None:
        assert [t.account for t in config.trail_targets()] == accounts


@pytest.mark.parametrize(("typo", "nearest"), [("us-esat-1", "us-east-1"), ("eu-west1", "eu-west-1")])
def test_a_region_typo_names_the_nearest_known_region(typo: str, nearest: str) -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.region": typo}))
    assert f"did you mean {nearest}?" in problems["archive.region"]


def test_a_region_far_from_every_known_one_gets_no_guess() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.region": "mars-1"}))
    assert "did you mean" not in problems["archive.region"]


def test_previous_key_prefixes_are_other_prefixes_each_once() -> None:
    problems = problems_of(with_changes(DEFAULT, **{"archive.previous_key_prefixes": ["beanstalk", "old", "old"]}))
    assert set(problems) == {"archive.previous_key_prefixes[0]", "archive.previous_key_prefixes[2]"}
    assert "current archive.key_prefix" in problems["archive.previous_key_prefixes[0]"]
    bad = problems_of(with_changes(DEFAULT, **{"archive.previous_key_prefixes": ["AWSLogs/x"]}))
    assert set(bad) == {"archive.previous_key_prefixes[0]"}
    assert "must not start with 'AWSLogs/'" in bad["archive.previous_key_prefixes[0]"]
    ok = with_changes(DEFAULT, **{"archive.previous_key_prefixes": ["old", ""]})
    assert parse_config(ok, "test.toml").archive.previous_key_prefixes == ("old", "")
    dup = problems_of(with_changes(DEFAULT, **{"archive.previous_key_prefixes": ["", ""]}))
    assert "duplicate prefix ''" in dup["archive.previous_key_prefixes[1]"]
