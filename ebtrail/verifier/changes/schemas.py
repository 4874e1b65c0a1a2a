"""Create-only properties and primary identifiers of CloudFormation resource types, from AWS's resource provider
schemas.

A property listed in a type's ``createOnlyProperties`` cannot be updated: changing it makes CloudFormation replace
the resource ("Resource type schema", CloudFormation CLI User Guide: "createOnlyProperties ... can only be
specified when creating a resource; changing them requires replacement"). ``conditionalCreateOnlyProperties``
may require replacement, depending on the change; they are treated as create-only here (the side that cannot miss
a replacement). ``primaryIdentifier`` names the properties a resource import identifies the resource by.

The schemas come from cfn-lint, which bundles AWS's published schemas and keeps them current. cfn-lint is a
development dependency only, so ``resource_schemas.json`` (next to this module) holds the three lists per type,
regenerated with ``python -m ebtrail.verifier.changes.schemas`` (tests/verifier/test_changes.py fails when it
differs from what the pinned cfn-lint ships). Paths are the schemas' JSON pointers without ``/properties/``:
``BucketName``, ``VpcConfig/SubnetIds``, ``Tags/*/Key``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("resource_schemas.json")
#: The schemas of this region: a type's create-only properties do not differ by region.
SCHEMA_REGION = "us-east-1"
_PREFIX = "/properties/"


@dataclass(frozen=True)
class TypeSchema:
    create_only: tuple[str, ...]
    conditional_create_only: tuple[str, ...]
    primary_identifier: tuple[str, ...]

    @property
    def replacing(self) -> tuple[str, ...]:
        """Every property whose change may replace the resource."""
        return (*self.create_only, *self.conditional_create_only)


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


def _strip(pointers: list[str]) -> list[str]:
    return [p[len(_PREFIX) :] for p in pointers if p.startswith(_PREFIX)]


def generate() -> dict[str, Any]:
    """The data file's content from the installed cfn-lint's bundled schemas (never downloaded: read from the
    package's ``data/schemas``, as its pinned version ships them)."""
    from importlib.metadata import version

    import cfnlint

    root = Path(cfnlint.__file__).parent / "data" / "schemas"
    providers: dict[str, str] = json.loads((root / "providers" / f"{SCHEMA_REGION}.json").read_text(encoding="utf-8"))
    types: dict[str, dict[str, list[str]]] = {}
    for type_name, digest in sorted(providers.items()):
        schema = json.loads((root / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
        entry = {
            "c": _strip(schema.get("createOnlyProperties", [])),
            "cc": _strip(schema.get("conditionalCreateOnlyProperties", [])),
            "id": _strip(schema.get("primaryIdentifier", [])),
        }
        types[type_name] = {key: value for key, value in entry.items() if value}
    schema_date = json.loads((root / "version.json").read_text(encoding="utf-8")).get("schema_date", "")
    return {"cfn_lint": version("cfn-lint"), "schema_date": schema_date, "region": SCHEMA_REGION, "types": types}


def render(data: dict[str, Any]) -> str:
    """One line per type: small, and a diff of a regeneration shows which types changed."""
    lines = [
        f"  {json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}" for name, entry in data["types"].items()
    ]
    head = {key: value for key, value in data.items() if key != "types"}
    header = json.dumps(head, separators=(", ", ": "))[1:-1]
    return "{" + header + ', "types": {\n' + ",\n".join(lines) + "\n}}\n"


if __name__ == "__main__":
    DATA_FILE.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {DATA_FILE}")
