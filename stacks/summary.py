"""``python -m stacks.summary cdk.out``: what ``make synth`` prints after ``cdk synth``.

The stacks with their accounts and regions, the compliance result (cdk-nag has already passed, or synth
would have failed; its acknowledgments are listed) and cfn-lint over every template, linted for the
region the stack deploys to. Exits 1 on any cfn-lint error or warning.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.api import ManualArgs, lint_file


@dataclass
class StackSummary:
    """One synthesized stack."""

    artifact_id: str
    stack_name: str
    account: str
    region: str
    template: Path
    resources: int
    acknowledgments: list[tuple[str, str, str]] = field(default_factory=list)  # (path, rule, reason)


def read_stacks(cloud_assembly: Path) -> list[StackSummary]:
    """Every CloudFormation stack in the cloud assembly, with its acknowledged cdk-nag rules."""
    manifest = json.loads((cloud_assembly / "manifest.json").read_text())
    stacks = []
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        _, _, env = artifact["environment"].partition("aws://")
        account, _, region = env.partition("/")
        properties = artifact["properties"]
        template = cloud_assembly / properties["templateFile"]
        summary = StackSummary(
            artifact_id=artifact_id,
            stack_name=properties.get("stackName", artifact_id),
            account=account,
            region=region,
            template=template,
            resources=len(json.loads(template.read_text())["Resources"]),
        )
        metadata: dict[str, list[dict[str, Any]]] = dict(artifact.get("metadata", {}))
        if "additionalMetadataFile" in artifact:
            metadata.update(json.loads((cloud_assembly / artifact["additionalMetadataFile"]).read_text()))
        for path, entries in metadata.items():
            summary.acknowledgments.extend(
                (path, rule.removeprefix("Annotation::"), reason)
                for entry in entries
                if entry["type"] == "aws:cdk:acknowledged-rules"
                for rule, reason in entry["data"].items()
            )
        stacks.append(summary)
    return stacks


def lint(stack: StackSummary) -> list[str]:
    """cfn-lint findings (errors, warnings and informational) for one template, as readable lines."""
    matches: list[Any] = lint_file(stack.template, config=ManualArgs(regions=[stack.region]))
    return [f"{stack.template.name}: {match}" for match in matches]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    cloud_assembly = Path(args[0] if args else "cdk.out")
    stacks = read_stacks(cloud_assembly)
    print(f"Synthesized {len(stacks)} stack(s) into {cloud_assembly}/:")
    for stack in stacks:
        print(
            f"  {stack.stack_name:<40} account {stack.account}  region {stack.region:<15} {stack.resources} resources"
        )
    findings = [line for stack in stacks for line in lint(stack)]
    acknowledgments = sorted({ack for stack in stacks for ack in stack.acknowledgments})
    print("Compliance:")
    print("  cdk-nag AwsSolutions + NIST 800-53 R5: 0 unacknowledged findings")
    print(f"  acknowledged ({len(acknowledgments)}):")
    for path, rule, reason in acknowledgments:
        print(f"    {rule} at {path}: {reason}")
    print(f"  cfn-lint: {len(findings)} finding(s)")
    for line in findings:
        print(f"    {line}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
