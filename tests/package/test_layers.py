"""The import graph runs one way: shared facts at the bottom, constructs / verifier / config beside each other on
top of them, the config-to-values module above those, the app's stacks and app.py on top (docs/contributing/layout.md).

Read from the source with ``ast`` (nothing is imported), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Layer of each internal package or module, bottom (0) to top. A module may import from a lower layer and from
#: its own package, never from a package beside it or above it.
LAYERS: dict[str, int] = {
    "ebtrail.core": 0,
    "ebtrail.verifier": 1,
    "ebtrail.constructs": 1,
    # The Lambda runtimes run the verifier's checks in Lambda; the constructs name their handlers as strings only.
    "ebtrail.lambdas": 2,
    "deployment.config": 1,
    "deployment.plan": 2,
    "stacks": 3,
    "app": 4,
    # The repository's tools (the documentation generator) read the config model and the verifier's tables.
    "tools": 4,
}

CDK = {"aws_cdk", "constructs", "cdk_nag", "jsii"}
#: Third-party packages each layer may import (the standard library is always allowed). The verifier is the
#: base install (boto3, botocore, click, rich, cryptography, rsa): it must run without aws-cdk-lib and pydantic.
THIRD_PARTY: dict[str, set[str]] = {
    # botocore's endpoint data is the one source of regions and partitions (ebtrail.core.regions); botocore is a
    # base dependency and in the Lambda Python runtime.
    "ebtrail.core": {"botocore"},
    "ebtrail.verifier": {"boto3", "botocore", "click", "rich", "cryptography", "rsa", "pyasn1", "mypy_boto3_*"},
    "ebtrail.constructs": CDK | {"boto3"},
    # The Lambda Python runtime has boto3 and botocore; rsa and pyasn1 are bundled (ebtrail.constructs.lambda_bundle).
    "ebtrail.lambdas": {"boto3", "botocore", "rsa", "pyasn1", "mypy_boto3_*"},
    "deployment.config": {"pydantic", "boto3"},
    "deployment.plan": set(),
    "stacks": CDK | {"cfnlint"},
    "app": CDK,
    "tools": {"pydantic", "pydantic_core", "annotated_types"},
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return [
        REPO_ROOT / "app.py",
        *sorted((REPO_ROOT / "ebtrail").rglob("*.py")),
        *sorted((REPO_ROOT / "deployment").rglob("*.py")),
        *sorted((REPO_ROOT / "stacks").rglob("*.py")),
        *sorted((REPO_ROOT / "tools").rglob("*.py")),
    ]


def imports_of(path: Path) -> list[Import]:
    importer = module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(importer, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(Import(importer, node.module, node.lineno))
            # ``from ebtrail.core import permissions`` imports the module ebtrail.core.permissions
            found += [Import(importer, f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def layer_of(module: str) -> str | None:
    """The entry of :data:`LAYERS` that owns ``module`` (longest matching prefix), None for other modules."""
    owners = [name for name in LAYERS if module == name or module.startswith(f"{name}.")]
    return max(owners, key=len) if owners else None


def is_internal(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in {
        "ebtrail",
        "deployment",
        "stacks",
        "app",
        "tools",
        "tests",
        "bench",
        "verifier",
        "trail_constructs",
    }


#: The package itself holds only its version, which any layer may read.
_PACKAGE_ROOT = {"ebtrail", "ebtrail.__version__"}

ALL_IMPORTS = [found for path in source_files() for found in imports_of(path)]


def test_every_source_module_has_a_layer() -> None:
    unplaced = sorted({module_name(path) for path in source_files() if layer_of(module_name(path)) is None})
    # ebtrail/__init__.py holds only the version and the package docstring; deployment/__init__.py only its
    # docstring.
    assert unplaced == ["deployment", "ebtrail"]
    assert not [found for found in ALL_IMPORTS if found.importer in {"deployment", "ebtrail"}]


def test_imports_only_go_down_or_stay_inside_their_own_package() -> None:
    wrong = []
    for found in ALL_IMPORTS:
        if not is_internal(found.imported) or found.imported in _PACKAGE_ROOT:
            continue
        source, target = layer_of(found.importer), layer_of(found.imported)
        assert source is not None
        if target is None:
            wrong.append(f"{found.importer}:{found.line} imports {found.imported}, which belongs to no layer")
        elif target != source and LAYERS[target] >= LAYERS[source]:
            wrong.append(
                f"{found.importer}:{found.line} imports {found.imported} (layer {target} is not below {source})"
            )
    assert wrong == []


def test_each_layer_uses_only_its_own_third_party_packages() -> None:
    wrong = []
    for found in ALL_IMPORTS:
        top = found.imported.split(".")[0]
        if is_internal(found.imported) or top in sys.stdlib_module_names or top == "__future__":
            continue
        layer = layer_of(found.importer)
        assert layer is not None
        allowed = THIRD_PARTY[layer]
        if top not in allowed and not any(p.endswith("*") and top.startswith(p[:-1]) for p in allowed):
            wrong.append(
                f"{found.importer}:{found.line} imports {found.imported} (allowed in {layer}: {sorted(allowed)})"
            )
    assert wrong == []


def test_no_import_cycles_between_modules() -> None:
    modules = {module_name(path) for path in source_files()}
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for found in ALL_IMPORTS:
        if found.imported in modules and found.imported != found.importer:
            graph[found.importer].add(found.imported)
    # A package's __init__ importing its own submodules is how packages re-export; it is not a loop.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not t.startswith(f"{module}.")}
    on_path: list[str] = []
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        if module in on_path:
            cycles.append([*on_path[on_path.index(module) :], module])
            return
        if module in done:
            return
        on_path.append(module)
        for target in sorted(graph[module]):
            visit(target)
        on_path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert cycles == []


@pytest.mark.parametrize("folder", ["trail_constructs", "verifier"])
def test_no_top_level_package_beside_ebtrail(folder: str) -> None:
    """The wheel installs one import package; the old top-level folders must not come back."""
    # Python files, not the folder: a merge leaves an untracked __pycache__/ behind in a worktree.
    assert list((REPO_ROOT / folder).rglob("*.py")) == []


def test_no_stack_module_imports_the_config_model() -> None:
    """The stacks and app_builder take the plan (deployment.plan.plan of a config), never the config model: a
    feature a stack built from the config was a feature no one composing the constructs could have."""
    wrong = [
        f"{found.importer}:{found.line} imports {found.imported}"
        for found in ALL_IMPORTS
        if layer_of(found.importer) == "stacks"
        and (found.imported == "deployment.config" or found.imported.startswith("deployment.config."))
    ]
    assert wrong == []
    assert any(layer_of(found.importer) == "stacks" for found in ALL_IMPORTS), "no stacks module was scanned"
