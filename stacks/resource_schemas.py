"""Generates ``ebtrail/verifier/changes/resource_schemas.json`` from the CloudFormation resource provider schemas
cfn-lint bundles (``python -m stacks.resource_schemas``): per type, ``createOnlyProperties``,
``conditionalCreateOnlyProperties`` and ``primaryIdentifier``, without ``/properties/``. Here, in the app's layer,
because cfn-lint is a development dependency: the verifier (base install) reads only the generated file
(:mod:`ebtrail.verifier.changes.schemas`).
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import cfnlint

from ebtrail.core.regions import FALLBACK_REGION
from ebtrail.verifier.changes.schemas import DATA_FILE

#: The schemas of this region (cfn-lint ships one folder per region): a type's create-only properties do not differ
#: by region.
SCHEMA_REGION = FALLBACK_REGION
_PREFIX = "/properties/"


def _strip(pointers: list[str]) -> list[str]:
    return [p[len(_PREFIX) :] for p in pointers if p.startswith(_PREFIX)]


def generate() -> dict[str, Any]:
    """The data file's content from the installed cfn-lint's bundled schemas (never downloaded: read from the
    package's ``data/schemas``, as its pinned version ships them)."""
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


def main() -> None:
    DATA_FILE.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    main()
