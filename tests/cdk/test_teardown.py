"""What ``cdk destroy`` keeps (README.md, "What teardown keeps, and why"), and that the kept resources alone form a
template a resource import can create a stack from (``make redeploy``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ebtrail.verifier.changes.compare import references
from ebtrail.verifier.changes.kept import kept_logical_ids
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import FIXTURE_CONFIGS


def _kept(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v.get("DeletionPolicy") == "Retain"}


def _kept_descriptions(synth: Synthesized) -> dict[str, list[str]]:
    """Per stack, the kept resources by type and logical-ID stem (without CDK's hash)."""
    return {
        name: sorted(f"{r['Type']} {lid[:-8]}" for lid, r in _kept(synth.json(name)).items())
        for name in synth.templates
    }


def test_the_default_deployment_keeps_the_records_and_their_keys(default: Synthesized) -> None:
    assert _kept_descriptions(default) == {
        "ebtrail-log-archive": [
            "AWS::KMS::Key LogKey",
            "AWS::KMS::Key QueryResultsKey",
            "AWS::S3::Bucket AccessLogBucket",
            "AWS::S3::Bucket AthenaResultsBucket",
            "AWS::S3::Bucket LogBucket",
        ],
        "ebtrail-trail-111111111111": [
            "AWS::KMS::Key DeliveryCanaryLogGroupKey",
            "AWS::Logs::LogGroup DeliveryCanaryLogGroup",
        ],
    }


def test_cloudwatch_logs_keeps_its_log_group_and_key(synthesized: Callable[[str], Synthesized]) -> None:
    synth = synthesized("all-features.toml")
    trail = next(name for name in synth.templates if "-trail-" in name)
    assert {"AWS::KMS::Key CloudWatchLogsKey", "AWS::Logs::LogGroup CloudWatchLogsLogGroup"} <= set(
        _kept_descriptions(synth)[trail]
    )


@pytest.mark.parametrize("config", FIXTURE_CONFIGS)
def test_topic_keys_are_not_kept(synthesized: Callable[[str], Synthesized], config: str) -> None:
    """They encrypt only messages SNS holds for delivery; deleted after KMS's 30-day waiting period."""
    synth = synthesized(config)
    for name in synth.templates:
        for lid, resource in synth.json(name)["Resources"].items():
            if resource["Type"] == "AWS::KMS::Key" and "TopicKey" in lid:
                assert resource["DeletionPolicy"] == "Delete", (name, lid)
                assert resource["Properties"]["PendingWindowInDays"] == 30


@pytest.mark.parametrize("config", FIXTURE_CONFIGS)
def test_kept_resources_refer_only_to_kept_resources(synthesized: Callable[[str], Synthesized], config: str) -> None:
    """``cdk import`` of a new stack creates it from the imported resources alone: a kept resource that referred
    to one that is not kept (``Ref``, ``Fn::GetAtt``, ``DependsOn``) would make that template invalid."""
    synth = synthesized(config)
    for name in synth.templates:
        template = synth.json(name)
        kept = _kept(template)
        for lid, resource in kept.items():
            depends = resource.get("DependsOn", [])
            refs = set(references(resource.get("Properties", {}))) | set(
                depends if isinstance(depends, list) else [depends]
            )
            outside = sorted(ref for ref in refs if ref in template["Resources"] and ref not in kept)
            assert outside == [], (name, lid)


def test_import_map_takes_exactly_the_kept_resources(default: Synthesized) -> None:
    from ebtrail.verifier.changes.assembly import AssemblyStack

    for name in default.templates:
        stack = AssemblyStack(name, name, "111111111111", "us-east-1", default.json(name))
        assert sorted(kept_logical_ids(stack)) == sorted(_kept(default.json(name)))
