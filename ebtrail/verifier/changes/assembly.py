"""The stacks of a synthesized cloud assembly (``cdk.out``), read as JSON: the verifier never imports aws-cdk-lib.

A stack is its artifact ID (what ``cdk import`` and ``cdk deploy`` select), its CloudFormation stack name, its
environment and its template. :func:`write_assembly` writes stacks back as an assembly that this module and the
CDK CLI read, which is how the deployed templates become a ``--from`` assembly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ebtrail.core.regions import COMMERCIAL, UnknownRegionError, partition_of
from ebtrail.verifier.cloud_assembly import read_stack_artifacts


@dataclass(frozen=True)
class AssemblyStack:
    artifact_id: str
    name: str
    account: str
    region: str
    template: dict[str, Any]
    #: The CDK bootstrap lookup role (read-only), with ``${AWS::Partition}`` resolved, if the manifest names one.
    lookup_role_arn: str | None = None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    @property
    def partition(self) -> str:
        """From the one region module (botocore's endpoint data), never guessed from the region's letters (issue
        17 item 10: the ISO partitions). An environment-agnostic stack has no region: the commercial partition."""
        try:
            return partition_of(self.region)
        except UnknownRegionError:
            return COMMERCIAL


def read_assembly(directory: Path) -> list[AssemblyStack]:
    """Every CloudFormation stack of the assembly in ``directory``, in manifest order (the one reader,
    :mod:`ebtrail.verifier.cloud_assembly`)."""
    stacks: list[AssemblyStack] = []
    for artifact in read_stack_artifacts(directory):
        stack = AssemblyStack(artifact.artifact_id, artifact.name, artifact.account, artifact.region, artifact.template)
        role = dict(artifact.properties.get("lookupRole", {})).get("arn")
        if isinstance(role, str):
            role = role.replace("${AWS::Partition}", stack.partition)
        stacks.append(replace(stack, lookup_role_arn=role if role else None))
    return stacks


def write_assembly(directory: Path, stacks: list[AssemblyStack]) -> None:
    """Write ``stacks`` as a minimal cloud assembly (manifest and one template per stack)."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Any] = {}
    for stack in stacks:
        template_file = f"{stack.artifact_id}.template.json"
        (directory / template_file).write_text(json.dumps(stack.template, indent=1), encoding="utf-8")
        artifacts[stack.artifact_id] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://{stack.account}/{stack.region}",
            "properties": {"templateFile": template_file, "stackName": stack.name},
        }
    manifest = {"version": "36.0.0", "artifacts": artifacts}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
