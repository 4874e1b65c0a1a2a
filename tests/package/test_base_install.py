"""The base install is the verifier alone: every ebtrail.verifier module imports, and ``ebtrail-verify`` answers,
with aws-cdk-lib, constructs, cdk-nag, jsii and pydantic made unimportable (as in a CI image without them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Runs in a child interpreter: a finder in front of sys.meta_path refuses the ``cdk`` extra's packages.
_WITHOUT_CDK = """
import importlib, pkgutil, sys

BLOCKED = {"aws_cdk", "constructs", "cdk_nag", "jsii", "pydantic", "pydantic_core"}

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not part of the base install")
        return None

sys.meta_path.insert(0, Refuse())
import ebtrail, ebtrail.core, ebtrail.verifier
for package in (ebtrail.core, ebtrail.verifier):
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
from ebtrail.verifier.cli import cli
cli(["--help"], prog_name="ebtrail-verify")
"""


def test_the_verifier_needs_nothing_from_the_cdk_extra() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_CDK], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: ebtrail-verify" in result.stdout
    assert "verify" in result.stdout and "integrity" in result.stdout


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ebtrail.verifier", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "integrity" in result.stdout and "verify" in result.stdout


def test_trails_reads_a_config_without_pydantic(tmp_path: Path) -> None:
    """``ebtrail-verify trails --config`` reads the TOML with tomllib: with pydantic unimportable it still names the
    field that is wrong (exit 2, before any AWS call)."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[trail]\naccount = "12"\nhome_region = "us-east-1"\n')
    script = _WITHOUT_CDK.replace(
        'cli(["--help"], prog_name="ebtrail-verify")',
        f'cli(["trails", "--config", {str(bad)!r}, "--region", "us-east-1"], prog_name="ebtrail-verify")',
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "trail.account: allowed: a 12-digit account ID; got '12'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_docs_name_the_base_installs_dependencies_and_every_command() -> None:
    """The library page's line on the verifier alone lists what ``pip install ebtrail`` brings (pyproject's
    ``dependencies``) and every ``ebtrail-verify`` command, and so does the README's short line; they once named
    two commands and left out ``rsa``."""
    import re
    import tomllib

    from ebtrail.verifier.cli import cli

    library = (REPO_ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    line = re.search(r"The verifier alone: `pip install ebtrail` \(([^)]*)\)[^`]*`ebtrail-verify ([a-z|-]+)`", library)
    assert line is not None
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    short = re.search(r"`pip install ebtrail` alone gives the verifier \(`ebtrail-verify ([a-z|-]+)`\)", readme)
    assert short is not None
    assert set(short[1].split("|")) == set(cli.list_commands(None))  # type: ignore[arg-type]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {re.split(r"[<>=!~ \[]", dep, maxsplit=1)[0] for dep in project["dependencies"]}
    named = {word.strip() for word in line[1].split(";")[0].split(",")}
    assert named == wanted
    assert set(line[2].split("|")) == set(cli.list_commands(None))  # type: ignore[arg-type]
