"""``ebtrail-verify changes`` on pairs of cloud assemblies synthesized from the default fixture and a changed copy:
a rename replaces the trail and the topics (exit 1), an added subscriber and a lifecycle change replace nothing
(exit 0), a name-prefix change makes new stacks beside the old ones, a key-prefix change updates the trail in place
but opens a gap (exit 1) unless ``archive.previous_key_prefixes`` keeps the old prefix writable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from click.testing import CliRunner

from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.verifier.cli import cli
from stacks.app_builder import build_app, feature_flags
from tests.config.config_changes import with_changes
from tests.fixtures.paths import fixture_data

DEFAULT = fixture_data("default.toml")
TRAIL_STACK = "ebtrail-trail-111111111111"
ARCHIVE_STACK = "ebtrail-log-archive"

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "renamed": {"trail.name": "ebtrail-renamed"},
    "renamed-with-previous": {"trail.name": "ebtrail-renamed", "trail.previous_names": ["ebtrail-beanstalk-audit"]},
    "subscriber": {"trail.notification_emails": ["platform-team@example.com", "oncall@example.com"]},
    "lifecycle": {"archive.lifecycle.expiration_days": 3650},
    "name-prefix": {"name_prefix": "audit"},
    "key-prefix": {"archive.key_prefix": "beanstalk-v2"},
    "key-prefix-with-previous": {"archive.key_prefix": "beanstalk-v2", "archive.previous_key_prefixes": ["beanstalk"]},
}


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("assemblies")
    out: dict[str, Path] = {}
    for name, changes in VARIANTS.items():
        config = parse_config(with_changes(DEFAULT, **changes), f"{name}.toml")
        app = App(context={**feature_flags(), "aws:cdk:version-reporting": False}, outdir=str(root / name))
        build_app(plan(config), app=app, compliance=False)
        app.synth()
        out[name] = root / name
    return out


def changes(assemblies: dict[str, Path], to: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["changes", "--from", str(assemblies["default"]), "--to", str(assemblies[to]), "--json", *extra]
    )
    report: dict[str, Any] = json.loads(result.output)
    return result.exit_code, report


def _stack(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in report["stacks"] if s["stack"] == name]
    assert len(found) == 1, [s["stack"] for s in report["stacks"]]
    return found[0]


def _replaced_types(report: dict[str, Any], stack: str) -> dict[str, str]:
    return {c["logical_id"]: c["type"] for c in _stack(report, stack)["replace"]}


def test_a_rename_replaces_the_trail_the_topics_and_the_subscriptions(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "renamed")
    assert code == 1 and report["verdict"] == "REPLACES"
    replaced = _replaced_types(report, TRAIL_STACK)
    types = sorted(replaced.values())
    assert types.count("AWS::CloudTrail::Trail") == 1
    assert types.count("AWS::SNS::Topic") == 2  # the delivery topic and the alert topic
    assert types.count("AWS::SNS::Subscription") == 2  # one e-mail on each
    trail = next(c for c in _stack(report, TRAIL_STACK)["replace"] if c["type"] == "AWS::CloudTrail::Trail")
    assert trail["reason"] == "create-only TrailName changed" and trail["guarded"] and not trail["allowed"]
    assert "a gap in the record" in trail["meaning"]
    assert 'trail.previous_names = ["ebtrail-beanstalk-audit"]' in trail["meaning"]
    subscription = next(c for c in _stack(report, TRAIL_STACK)["replace"] if c["type"] == "AWS::SNS::Subscription")
    assert "refers to replaced" in subscription["reason"]  # its TopicArn is the replaced topic's
    assert "platform-team@example.com must confirm" in subscription["meaning"]
    # The archive itself is updated in place: its policies change, nothing there is replaced.
    assert _stack(report, ARCHIVE_STACK)["replace"] == []


def test_a_rename_with_previous_names_says_the_old_trail_keeps_delivering(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "renamed-with-previous")
    assert code == 1  # still a replacement the user must name
    trail = next(c for c in _stack(report, TRAIL_STACK)["replace"] if c["type"] == "AWS::CloudTrail::Trail")
    assert trail["meaning"].startswith("no gap: the archive's policies still allow the old trail")


def test_a_named_replacement_is_allowed(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "renamed", "--allow", "record,notify", "--allow", "delivery")
    assert code == 0 and report["refused"] == 0 and report["guarded"] > 0
    code, report = changes(assemblies, "renamed", "--allow", "AWS::CloudTrail::Trail")
    assert code == 1
    assert {c["type"] for s in report["stacks"] for c in s["replace"] if c["guarded"] and not c["allowed"]} >= {
        "AWS::SNS::Topic"
    }


def test_an_added_subscriber_is_one_add_and_exit_0(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "subscriber")
    assert code == 0 and report["verdict"] == "SAFE"
    trail = _stack(report, TRAIL_STACK)
    assert [c["type"] for c in trail["add"]] == ["AWS::SNS::Subscription"]
    assert trail["replace"] == [] and trail["delete"] == []


def test_a_lifecycle_change_replaces_nothing(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "lifecycle")
    assert code == 0
    assert all(s["add"] == s["delete"] == s["replace"] == [] for s in report["stacks"])


def test_a_name_prefix_change_makes_new_stacks_beside_the_old_ones(assemblies: dict[str, Path]) -> None:
    """Every stack has a new name: CloudFormation creates new stacks, the old ones stay as they are."""
    code, report = changes(assemblies, "name-prefix")
    statuses = {s["stack"]: s["status"] for s in report["stacks"]}
    assert statuses == {
        "audit-log-archive": "new",
        "audit-trail-111111111111": "new",
        ARCHIVE_STACK: "gone",
        TRAIL_STACK: "gone",
    }
    assert code == 0  # nothing is replaced in a stack: the new stacks are new, the old ones untouched


def test_a_key_prefix_change_updates_the_trail_in_place_but_opens_a_gap(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "key-prefix")
    assert code == 1
    assert all(s["replace"] == [] for s in report["stacks"])
    (update,) = _stack(report, TRAIL_STACK)["update"]
    assert update["type"] == "AWS::CloudTrail::Trail" and update["guarded"] is True
    assert update["reason"] == "S3KeyPrefix changes from 'beanstalk' to 'beanstalk-v2'"
    assert 'archive.previous_key_prefixes = ["beanstalk"]' in update["meaning"]


def test_a_key_prefix_change_with_the_previous_prefix_has_no_gap(assemblies: dict[str, Path]) -> None:
    code, report = changes(assemblies, "key-prefix-with-previous")
    assert code == 0
    (update,) = _stack(report, TRAIL_STACK)["update"]
    assert update["guarded"] is False and update["meaning"].startswith("no gap")


def test_the_text_report_names_the_way_to_allow(assemblies: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        cli, ["changes", "--from", str(assemblies["default"]), "--to", str(assemblies["renamed"])]
    )
    assert result.exit_code == 1
    assert f"{TRAIL_STACK}: " in result.output and "REPLACE !" in result.output
    assert "ALLOW_REPLACE=" in result.output.splitlines()[-1]
