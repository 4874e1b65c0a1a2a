"""The one cloud-assembly reader (ebtrail.verifier.cloud_assembly) and its three users: the preflight, ``changes``
and the app's synth summary read the same stacks, also from a nested assembly (a CDK ``Stage``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ebtrail.verifier.changes.assembly import read_assembly
from ebtrail.verifier.cloud_assembly import AssemblyError, read_stack_artifacts
from ebtrail.verifier.preflight.assembly import read_stacks
from stacks.summary import read_stacks as summary_stacks

TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}


def write(directory: Path, artifacts: dict[str, Any], templates: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    for name, template in templates.items():
        (directory / name).write_text(json.dumps(template))


def stack(template_file: str, env: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": env,
        "properties": {"templateFile": template_file, "stackName": template_file.split(".", maxsplit=1)[0]},
        **extra,
    }


@pytest.fixture
def assembly(tmp_path: Path) -> Path:
    ack = {"/Top/Topic/Resource": [{"type": "aws:cdk:acknowledged-rules", "data": {"AwsSolutions-SNS3": "why"}}]}
    write(
        tmp_path,
        {
            "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
            "Top": stack("top.template.json", "aws://111111111111/us-east-1", additionalMetadataFile="Top.meta.json"),
            "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Stage"}},
        },
        {"top.template.json": {"Resources": {"Topic": TOPIC}}, "Top.meta.json": ack},
    )
    write(
        tmp_path / "assembly-Stage",
        {"StageInner": stack("inner.template.json", "aws://222222222222/us-isof-south-1")},
        {"inner.template.json": {"Resources": {"A": TOPIC, "B": TOPIC}}},
    )
    return tmp_path


def test_the_reader_follows_nested_assemblies_in_manifest_order(assembly: Path) -> None:
    found = read_stack_artifacts(assembly)
    assert [(s.artifact_id, s.name, s.account, s.region) for s in found] == [
        ("Top", "top", "111111111111", "us-east-1"),
        ("StageInner", "inner", "222222222222", "us-isof-south-1"),
    ]
    assert found[1].template_path == assembly / "assembly-Stage" / "inner.template.json"


def test_the_three_users_read_the_same_stacks(assembly: Path) -> None:
    preflight = read_stacks(assembly)
    changes = read_assembly(assembly)
    summary = summary_stacks(assembly)
    assert [s.name for s in preflight] == [s.name for s in changes] == [s.stack_name for s in summary]
    assert [len(s.resources) for s in preflight] == [len(s.resources) for s in changes] == [1, 2]
    assert [s.resources for s in summary] == [1, 2]
    # the partition from the one region module, not guessed from the region's letters
    assert [s.partition for s in preflight] == [s.partition for s in changes] == ["aws", "aws-iso-f"]
    assert summary[0].acknowledgments == [("/Top/Topic/Resource", "AwsSolutions-SNS3", "why")]


def test_an_unreadable_template_names_its_path(assembly: Path) -> None:
    (assembly / "assembly-Stage" / "inner.template.json").write_text("{not json")
    with pytest.raises(AssemblyError, match=r"cannot read .*assembly-Stage/inner\.template\.json"):
        read_stack_artifacts(assembly)
