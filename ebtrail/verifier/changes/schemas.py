"""Create-only properties and primary identifiers of CloudFormation resource types, from AWS's resource provider
schemas.

A property listed in a type's ``createOnlyProperties`` can be set only when the resource is created, so a change
to it makes CloudFormation replace the resource ("Resource type schema", Extension development for
CloudFormation, https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html).
``conditionalCreateOnlyProperties`` may require replacement, depending on the change; they are treated as
create-only here (the side that cannot miss a replacement). ``primaryIdentifier`` names the properties a resource
import identifies the resource by.

The schemas come from cfn-lint, which bundles AWS's published schemas and keeps them current. cfn-lint is a
development dependency only, so ``resource_schemas.json`` (next to this module) holds the three lists per type,
regenerated with ``python -m stacks.resource_schemas`` (the app's layer, where cfn-lint may be imported;
tests/verifier/test_changes.py fails when the file differs from what the pinned cfn-lint ships). Paths are the
schemas' JSON pointers without ``/properties/``: ``BucketName``, ``VpcConfig/SubnetIds``, ``Tags/*/Key``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("resource_schemas.json")


@dataclass(frozen=True)
class TypeSchema:
    create_only: tuple[str, ...]
    conditional_create_only: tuple[str, ...]
    primary_identifier: tuple[str, ...]

    @property
    def replacing(self) -> tuple[str, ...]:
        """Every property whose change may replace the resource."""
        return (*self.create_only, *self.conditional_create_only)


def custom_name_property(resource_type: str) -> str | None:
    """The property that gives a resource of this type its custom name (``TrailName``, ``ManagedPolicyName``,
    ``Name``), or None when the type has none.

    AWS lists no name property per type ("CloudFormation resource custom naming", Template Reference: "Each
    resource that supports custom names has its own property"), so it is read from the schema: a top-level
    create-only property called ``Name``, or ``<X>Name`` (``<X>Identifier``) where the type's own name ends with
    ``X`` (``AWS::IAM::ManagedPolicy``: ``ManagedPolicyName``; ``AWS::Logs::MetricFilter``: ``FilterName``;
    ``AWS::RDS::DBInstance``: ``DBInstanceIdentifier``, the example of AWS's knowledge-center article on the
    error). A property
    naming another resource (``AWS::Lambda::EventInvokeConfig``'s ``FunctionName``, ``AWS::Logs::MetricFilter``'s
    ``LogGroupName``) does not match. Nor does the name of a type identified by a generated ID alone
    (``AWS::Athena::NamedQuery``: ``NamedQueryId``): there the name is a label two resources may share, and a
    replacement creates the new one beside the old one."""
    schema = schema_of(resource_type)
    if schema is None:
        return None
    if len(schema.primary_identifier) == 1 and schema.primary_identifier[0].endswith("Id"):
        return None
    own = resource_type.rsplit("::", 1)[-1]
    for prop in schema.create_only:
        suffix = next((end for end in ("Name", "Identifier") if prop.endswith(end)), None)
        if "/" in prop or suffix is None:
            continue
        stem = prop.removesuffix(suffix)
        if (not stem and suffix == "Name") or (stem and own.endswith(stem)):
            return prop
    return None


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def schema_of(resource_type: str) -> TypeSchema | None:
    """The type's lists, or None for a type the schemas do not have (``Custom::``, a third-party type)."""
    entry = _data()["types"].get(resource_type)
    if entry is None:
        return None
    return TypeSchema(tuple(entry.get("c", ())), tuple(entry.get("cc", ())), tuple(entry.get("id", ())))


def schema_source() -> str:
    """Where the data came from, for reports: cfn-lint's version and its schemas' date."""
    return f"cfn-lint {_data()['cfn_lint']} schemas of {_data()['schema_date']}"
