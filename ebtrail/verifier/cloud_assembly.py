"""The one reader of a synthesized cloud assembly (``cdk.out``), as JSON: the verifier never imports aws-cdk-lib.

The preflight (:mod:`ebtrail.verifier.preflight.assembly`), ``changes`` (:mod:`ebtrail.verifier.changes.assembly`)
and the app's synth summary (``stacks/summary.py``) each take what they need from :class:`StackArtifact`.

The manifest's format is the CDK's cloud assembly schema (aws-cdk, ``@aws-cdk/cloud-assembly-schema``): each
artifact of type ``aws:cloudformation:stack`` is a stack, its environment ``aws://<account>/<region>``, its
``properties.templateFile`` and ``stackName``, its ``metadata`` (also in ``additionalMetadataFile`` with current
aws-cdk-lib); an artifact of type ``cdk:cloud-assembly`` is a nested assembly (a ``Stage``) whose
``properties.directoryName`` is relative to the assembly that names it. Its stacks follow, in manifest order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"


class AssemblyError(Exception):
    """The cloud assembly cannot be read (no manifest, unreadable template)."""


@dataclass(frozen=True)
class StackArtifact:
    """One CloudFormation stack of the assembly, as the manifest describes it."""

    artifact_id: str
    #: The CloudFormation stack name (``properties.stackName``, else the artifact ID).
    name: str
    account: str
    region: str
    template_path: Path
    template: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)
    #: The artifact's metadata by construct path, with its ``additionalMetadataFile`` merged in.
    metadata: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"cannot read {path}: {exc}") from exc


def _stack(directory: Path, artifact_id: str, artifact: dict[str, Any]) -> StackArtifact:
    _, _, env = str(artifact.get("environment", "")).partition("aws://")
    account, _, region = env.partition("/")
    properties = dict(artifact.get("properties", {}))
    template_path = directory / str(properties.get("templateFile", f"{artifact_id}.template.json"))
    template = _read_json(template_path)
    if not isinstance(template, dict):
        raise AssemblyError(f"{template_path} is not a CloudFormation template")
    metadata: dict[str, list[dict[str, Any]]] = dict(artifact.get("metadata", {}))
    if "additionalMetadataFile" in artifact:
        metadata.update(_read_json(directory / str(artifact["additionalMetadataFile"])))
    name = str(properties.get("stackName", artifact_id))
    return StackArtifact(artifact_id, name, account, region, template_path, template, properties, metadata)


def read_stack_artifacts(directory: Path) -> list[StackArtifact]:
    """Every CloudFormation stack of the assembly in ``directory`` and its nested assemblies, in manifest order."""
    manifest_path = directory / "manifest.json"
    manifest = _read_json(manifest_path)
    if not isinstance(manifest, dict):
        raise AssemblyError(f"{manifest_path} is not a cloud assembly manifest")
    stacks: list[StackArtifact] = []
    for artifact_id, artifact in dict(manifest.get("artifacts", {})).items():
        if not isinstance(artifact, dict):
            continue
        if artifact.get("type") == STACK_ARTIFACT:
            stacks.append(_stack(directory, str(artifact_id), artifact))
        elif artifact.get("type") == NESTED_ASSEMBLY_ARTIFACT:
            nested = dict(artifact.get("properties", {})).get("directoryName")
            if not isinstance(nested, str):
                raise AssemblyError(f"{manifest_path}: nested assembly {artifact_id} has no directoryName")
            stacks.extend(read_stack_artifacts(directory / nested))
    return stacks


__all__ = ["AssemblyError", "StackArtifact", "read_stack_artifacts"]
