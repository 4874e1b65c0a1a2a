"""The stacks of a synthesized cloud assembly (``cdk.out``), read as JSON: the verifier never imports aws-cdk-lib.

A stack is its artifact ID (what ``cdk import`` and ``cdk deploy`` select), its CloudFormation stack name, its
environment and its template. :func:`write_assembly` writes stacks back as an assembly that this module and the
CDK CLI read, which is how the deployed templates become a ``--from`` assembly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebtrail.core.regions import COMMERCIAL, UnknownRegionError, partition_of


class AssemblyError(Exception):
    """The cloud assembly cannot be read (no manifest, unreadable template)."""


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
    """Every CloudFormation stack of the assembly in ``directory``, in manifest order."""
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"cannot read {manifest_path}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise AssemblyError(f"{manifest_path} is not a cloud assembly manifest")
    stacks: list[AssemblyStack] = []
    for artifact_id, artifact in dict(manifest.get("artifacts", {})).items():
        if not isinstance(artifact, dict) or artifact.get("type") != "aws:cloudformation:stack":
            continue
        _, _, env = str(artifact.get("environment", "")).partition("aws://")
        account, _, region = env.partition("/")
        properties = dict(artifact.get("properties", {}))
        template_path = directory / str(properties.get("templateFile", f"{artifact_id}.template.json"))
        try:
            template = json.loads(template_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AssemblyError(f"cannot read {template_path}: {exc}") from exc
        stack = AssemblyStack(artifact_id, str(properties.get("stackName", artifact_id)), account, region, template)
        role = dict(properties.get("lookupRole", {})).get("arn")
        if isinstance(role, str):
            role = role.replace("${AWS::Partition}", stack.partition)
        stacks.append(AssemblyStack(stack.artifact_id, stack.name, account, region, template, role if role else None))
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
