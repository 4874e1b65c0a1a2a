"""An accepted config in an ISO partition synthesizes and passes preflight (issue 17 item 10): ``partition_of``
in the preflight guessed ``aws`` for us-isof-south-1, so every ARN it built was in the wrong partition and
preflight refused a config that synthesizes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file

from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.verifier.preflight.assembly import Assembly, Stack
from ebtrail.verifier.preflight.run import PreflightExit, overall_exit, preflight_trail
from stacks import summary
from stacks.app_builder import build_app


def iso_config(region: str, topology: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name_prefix": "a" * 20,  # the longest prefix: with the 15-character region, bucket names near S3's 63
        "topology": topology,
        "archive": {"account": "111111111111", "region": region},
        "trail": {"name": "ebtrail-audit"},
    }
    if topology == "single-account":
        data["trail"] |= {"account": "111111111111", "home_region": region}
    else:
        data["trail"]["members"] = [{"account": "222222222222", "home_region": region}]
    return data


@pytest.mark.parametrize(
    ("region", "partition", "topology"),
    [
        ("us-isof-south-1", "aws-iso-f", "single-account"),
        ("us-isof-south-1", "aws-iso-f", "accounts"),
        ("eu-isoe-west-1", "aws-iso-e", "single-account"),
    ],
)
def test_iso_config_synthesizes_and_passes_preflight(region: str, partition: str, topology: str) -> None:
    config = parse_config(iso_config(region, topology))
    assert config.partition == partition
    built = build_app(plan(config))
    stacks = [
        Stack(stack.stack_name, stack.account, stack.region, Template.from_stack(stack).to_json()["Resources"])
        for stack in built.stacks
    ]
    assert {stack.partition for stack in stacks} == {partition}
    reports = [preflight_trail(trail) for trail in Assembly(stacks).trails()]
    assert len(reports) == len(built.trails) >= 1
    assert overall_exit(reports) is PreflightExit.PASS, [r.problems for r in reports] + [
        f.explain() for r in reports for f in r.failures
    ]
    for report in reports:
        allowed = [r for r in report.results if r.check.must_allow]
        assert allowed and all(r.check.request.resource.startswith(f"arn:{partition}:") for r in allowed)


def test_a_region_of_no_partition_cannot_be_evaluated_never_guessed() -> None:
    """An environment-agnostic stack's region (``unknown-region``) has no partition: the trail is unreadable
    ("cannot evaluate"), where the old guess made it ``aws`` and evaluated the wrong ARNs."""
    trail = {
        "Type": "AWS::CloudTrail::Trail",
        "Properties": {"TrailName": "t", "S3BucketName": "b", "IsLogging": True},
    }
    [subject] = Assembly([Stack("agnostic", "111111111111", "unknown-region", {"Trail": trail})]).trails()
    assert subject.unreadable and "not a region of any partition" in subject.unreadable[0]
    assert overall_exit([preflight_trail(subject)]) is not PreflightExit.PASS


def test_cfn_lint_schema_gap_of_iso_partitions_is_not_a_finding(tmp_path: Path) -> None:
    """``make synth`` (stacks/summary.py) failed every ISO config on cfn-lint E3512: cfn-lint's IAM policy schema
    knows account principals of three partitions only. Those findings are dropped for partitions cfn-lint does
    not know, and only those (a commercial config keeps every E3512 finding)."""
    assert summary.cfn_lint_knows_principals_of("aws")
    assert summary.cfn_lint_knows_principals_of("aws-cn")
    assert not summary.cfn_lint_knows_principals_of("aws-iso-f")
    built = build_app(plan(parse_config(iso_config("us-isof-south-1", "single-account"))))
    raw_e3512 = 0
    for stack in built.stacks:
        path = tmp_path / f"{stack.stack_name}.template.json"
        path.write_text(json.dumps(Template.from_stack(stack).to_json(), indent=1))
        matches = lint_file(path, config=ManualArgs(regions=[stack.region]))
        raw_e3512 += sum(m.rule.id == "E3512" for m in matches)
        kept = summary.lint(
            summary.StackSummary(stack.stack_name, stack.stack_name, stack.account, stack.region, path, 0)
        )
        assert kept == [], kept
    assert raw_e3512 > 0  # the gap is real, so the filter above is what makes the ISO config lint clean
    fake = [type("M", (), {"rule": type("R", (), {"id": "E3512"})(), "linenumber": 3, "message": "'arn:aws:iam::1'"})()]
    assert summary.partition_gap_locations(fake, "aws") == set()
