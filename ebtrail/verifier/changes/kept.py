"""What a deleted stack kept, as a CloudFormation resource-import mapping: the way back after ``cdk destroy``.

``cdk destroy`` leaves every resource with ``DeletionPolicy: Retain`` behind (the buckets and keys of the
archive, the canary's log group and key). Deploying the same config again then fails: the buckets have fixed
names (``BucketAlreadyExists``), and new keys would leave the old log files' key outside any stack. A resource
import brings the kept resources back into the new stack ("Import AWS resources into a CloudFormation stack",
CloudFormation User Guide: the template must give each imported resource a ``DeletionPolicy`` and name its
identifier; ``cdk import --resource-mapping`` takes a file of ``{logical ID: {identifier property: value}}``).

The values come from the deleted stack itself: CloudFormation keeps a deleted stack's record, found by its stack
ID in ``ListStacks`` with ``DELETE_COMPLETE`` ("ListStacks", CloudFormation API Reference: "Summary information for
stacks that have been deleted is kept for 90 days after the stack is deleted"), and ``ListStackResources`` on that
ID gives each kept resource's physical ID (status ``DELETE_SKIPPED``). A resource whose identifier is one
property (a bucket's ``BucketName``, a key's ``KeyId``, a log group's ``LogGroupName``; :mod:`.schemas`) is
identified by its physical ID. Only resources the new template keeps too (``DeletionPolicy: Retain``) and under
the same logical ID are mapped: an import must match the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from ebtrail.verifier.changes.assembly import AssemblyStack
from ebtrail.verifier.changes.schemas import schema_of


@dataclass
class ImportMap:
    stack: AssemblyStack
    #: The deleted stack whose record the physical IDs come from (None: no deleted stack of this name).
    deleted_stack_id: str | None = None
    #: ``{logical ID: {identifier property: value}}``, the ``cdk import --resource-mapping`` format.
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Kept resources of the new template that the deleted stack does not name (created new by the deploy).
    unmatched: list[str] = field(default_factory=list)
    #: Set when the stack exists: nothing to import, ``cdk deploy`` updates it.
    exists: bool = False


def kept_logical_ids(stack: AssemblyStack) -> list[str]:
    return [lid for lid, r in stack.resources.items() if r.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")]


def _latest_deleted(client: Any, name: str) -> str | None:
    newest: tuple[Any, str] | None = None
    for page in client.get_paginator("list_stacks").paginate(StackStatusFilter=["DELETE_COMPLETE"]):
        for summary in page.get("StackSummaries", []):
            if summary.get("StackName") != name:
                continue
            when = summary.get("DeletionTime") or summary.get("CreationTime")
            if newest is None or (when is not None and when > newest[0]):
                newest = (when, str(summary["StackId"]))
    return newest[1] if newest else None


def _exists(client: Any, name: str) -> bool:
    for page in client.get_paginator("list_stacks").paginate():
        for summary in page.get("StackSummaries", []):
            # REVIEW_IN_PROGRESS: a stack whose first change set (an import that failed) never ran; it holds nothing.
            if summary.get("StackName") == name and summary.get("StackStatus") not in (
                "DELETE_COMPLETE",
                "REVIEW_IN_PROGRESS",
            ):
                return True
    return False


def import_map(stack: AssemblyStack, session: boto3.Session) -> ImportMap:
    """The mapping of ``stack``'s kept resources to what its deleted predecessor kept."""
    result = ImportMap(stack)
    client = session.client("cloudformation", region_name=stack.region or None)
    if _exists(client, stack.name):
        result.exists = True
        return result
    kept = kept_logical_ids(stack)
    result.deleted_stack_id = _latest_deleted(client, stack.name)
    if result.deleted_stack_id is None:
        result.unmatched = kept
        return result
    physical: dict[str, str] = {}
    for page in client.get_paginator("list_stack_resources").paginate(StackName=result.deleted_stack_id):
        for summary in page.get("StackResourceSummaries", []):
            # DELETE_COMPLETE: really deleted (a resource that was not kept); anything else is still there.
            if summary.get("ResourceStatus") != "DELETE_COMPLETE" and summary.get("PhysicalResourceId"):
                physical[str(summary["LogicalResourceId"])] = str(summary["PhysicalResourceId"])
    for lid in kept:
        schema = schema_of(str(stack.resources[lid].get("Type")))
        if lid in physical and schema is not None and len(schema.primary_identifier) == 1:
            result.mapping[lid] = {schema.primary_identifier[0]: physical[lid]}
        else:
            result.unmatched.append(lid)
    return result
