"""A rename without a gap: with ``trail.previous_names`` the archive's bucket and key policies let the old trail
deliver beside the new one (``aws:SourceArn`` lists both ARNs), and nothing else is widened."""

from __future__ import annotations

from typing import Any

import pytest

from deployment.config import parse_config
from tests.cdk.policy_helpers import log_bucket_policy, log_key_policy, statement
from tests.cdk.synth_cache import Synthesized, synthesize
from tests.config.config_changes import with_changes
from tests.fixtures.paths import fixture_data

OLD = "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-beanstalk-audit"
NEW = "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-renamed"


@pytest.fixture(scope="module")
def renamed() -> Synthesized:
    data = with_changes(
        fixture_data("default.toml"),
        **{"trail.name": "ebtrail-renamed", "trail.previous_names": ["ebtrail-beanstalk-audit"]},
    )
    return synthesize(parse_config(data, "renamed.toml"))


def _source_arns(policy_statement: dict[str, Any]) -> list[str]:
    arns: list[str] = policy_statement["Condition"]["StringEquals"]["aws:SourceArn"]
    return arns


@pytest.mark.parametrize("sid", ["AWSCloudTrailAclCheck", "AWSCloudTrailWrite111111111111"])
def test_the_bucket_policy_lets_both_trails_deliver(renamed: Synthesized, sid: str) -> None:
    found = statement(log_bucket_policy(renamed.archive_json), sid)
    assert found["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert _source_arns(found) == sorted([NEW, OLD])


@pytest.mark.parametrize(
    "sid", ["AllowCloudTrailEncryptLogs", "AllowCloudTrailDescribeKey", "AllowCloudTrailDecryptForBucketKey"]
)
def test_the_key_policy_lets_both_trails_encrypt(renamed: Synthesized, sid: str) -> None:
    found = statement(log_key_policy(renamed.archive_json), sid)
    assert found["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert _source_arns(found) == sorted([NEW, OLD])


def test_without_previous_names_only_the_current_trail_may_deliver(default: Synthesized) -> None:
    for policy, sid in [
        (log_bucket_policy(default.archive_json), "AWSCloudTrailAclCheck"),
        (log_bucket_policy(default.archive_json), "AWSCloudTrailWrite111111111111"),
        (log_key_policy(default.archive_json), "AllowCloudTrailEncryptLogs"),
    ]:
        assert _source_arns(statement(policy, sid)) == [OLD]


def test_the_trail_stack_has_only_the_new_trail(renamed: Synthesized) -> None:
    """The old name widens the archive's policies only: the trail stack creates the renamed trail alone."""
    (trail_stack,) = [name for name in renamed.templates if name != renamed.built.log_archive.stack_name]
    trails = [
        r["Properties"]["TrailName"]
        for r in renamed.json(trail_stack)["Resources"].values()
        if r["Type"] == "AWS::CloudTrail::Trail"
    ]
    assert trails == ["ebtrail-renamed"]


def test_previous_key_prefixes_keep_the_old_path_writable() -> None:
    data = with_changes(
        fixture_data("default.toml"),
        **{"archive.key_prefix": "beanstalk-v2", "archive.previous_key_prefixes": ["beanstalk"]},
    )
    archive = synthesize(parse_config(data, "prefix.toml")).archive_json
    write = statement(log_bucket_policy(archive), "AWSCloudTrailWrite111111111111")
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == [
        {"Fn::Join": ["", [{"Fn::GetAtt": ["LogBucket7273C8DB", "Arn"]}, f"/{prefix}/AWSLogs/111111111111/*"]]}
        for prefix in ("beanstalk-v2", "beanstalk")
    ]
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == [OLD]  # the trail is the same
