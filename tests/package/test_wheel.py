"""The built wheel: one import package ``ebtrail``, the verifier's dependencies in the base install, the CDK ones
behind the ``cdk`` extra, the ``ebtrail-verify`` console script, the licence (``pip wheel .``, once per session)."""

from __future__ import annotations

import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _dist_info(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [n for n in archive.namelist() if n.endswith(f".dist-info/{name}")]
        return archive.read(path).decode()


def test_one_import_package(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in _names(wheel) if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"ebtrail"}
    names = set(_names(wheel))
    for module in ("ebtrail/verifier/cli/__init__.py", "ebtrail/core/names.py", "ebtrail/constructs/log_key.py"):
        assert module in names
    # The create-only properties `ebtrail-verify changes` decides replacements by (package data, no cfn-lint).
    assert "ebtrail/verifier/changes/resource_schemas.json" in names
    # The app is the repository's, not the library's (issue 18: the wheel ships neither the config model nor its
    # plan): a team composing ebtrail passes plain values to the constructs.
    assert not [n for n in names if n.startswith(("ebtrail/tests", "deployment/", "stacks/", "tests/", "bench/"))]
    assert not [n for n in names if n.startswith(("ebtrail/config/", "ebtrail/deployment"))]


def test_base_dependencies_are_the_verifiers_and_the_cdk_is_an_extra(wheel: Path) -> None:
    metadata = Parser().parsestr(_dist_info(wheel, "METADATA"))
    requires = metadata.get_all("Requires-Dist") or []
    base = sorted(r.split(">")[0].split("<")[0].strip() for r in requires if "extra ==" not in r)
    cdk = sorted(r.split(">")[0].split("<")[0].strip() for r in requires if 'extra == "cdk"' in r)
    assert base == ["boto3", "botocore", "click", "cryptography", "rich", "rsa"]
    assert cdk == ["aws-cdk-lib", "cdk-nag", "constructs"]
    # Ranges with an upper bound, not exact pins (constraints.txt is the app's lock, not the library's).
    specifiers = [r.split(";")[0] for r in requires]
    assert all(">=" in s and "<" in s and "==" not in s for s in specifiers), specifiers
    assert metadata["License-Expression"] == "Apache-2.0"
    from ebtrail import __version__

    assert metadata["Version"] == __version__


def test_console_script_and_licence(wheel: Path) -> None:
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "ebtrail-verify = ebtrail.verifier.cli:main" in entry_points
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in _names(wheel))
