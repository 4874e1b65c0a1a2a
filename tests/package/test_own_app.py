"""The wheel installed into a fresh venv, as a platform team would: the base install gives a working
``ebtrail-verify`` without aws-cdk-lib; ``ebtrail[cdk]`` lets ``examples/own-app/app.py`` synthesize.

Slow (two installs, a jsii start): ``pytest -m packaging`` selects it. pip resolves against constraints.txt,
so the versions are the tested ones and pip's cache makes the second run fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=540, env=env, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def pip_install(venv: Path, *requirements: str | Path) -> None:
    # --no-compile: byte-compiling aws-cdk-lib's huge modules costs more than the install itself.
    constraints = REPO_ROOT / "constraints.txt"
    run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "-c",
        constraints,
        *requirements,
        cwd=venv,
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv with the base install of the wheel (no extra)."""
    root = tmp_path_factory.mktemp("own-app")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=root)
    pip_install(venv, wheel)
    return venv


def test_the_base_install_runs_the_verifier_without_the_cdk(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    missing = run(
        python,
        "-c",
        "import importlib.util, json; print(json.dumps({name: importlib.util.find_spec(name) is None "
        "for name in ('aws_cdk', 'constructs', 'cdk_nag', 'pydantic', 'jsii')}))",
        cwd=tmp_path,
    )
    assert json.loads(missing.stdout) == dict.fromkeys(("aws_cdk", "constructs", "cdk_nag", "pydantic", "jsii"), True)
    # Only ebtrail from this distribution: no top-level stacks, verifier or trail_constructs in site-packages.
    tops = run(
        python,
        "-c",
        "import importlib.metadata as m; print(m.distribution('ebtrail').read_text('top_level.txt') or '')",
        cwd=tmp_path,
    )
    assert tops.stdout.split() in ([], ["ebtrail"])
    helped = run(venv / "bin" / "ebtrail-verify", "--help", cwd=tmp_path)
    assert "Usage: ebtrail-verify" in helped.stdout
    for command in ("verify", "integrity"):
        assert "--trail" in run(venv / "bin" / "ebtrail-verify", command, "--help", cwd=tmp_path).stdout
    # Bad usage is refused with click's exit code 2, as `python -m verifier` did.
    refused = subprocess.run(
        [venv / "bin" / "ebtrail-verify", "verify"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2 and "--trail" in refused.stderr


def test_the_cdk_extra_lets_the_users_own_app_synthesize(venv: Path, wheel: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    # The extra through the same helper as the base install: --no-compile (byte-compiling aws-cdk-lib was about
    # 25 of this test's 45 CPU seconds, and the synthesis below compiles what it imports anyway).
    pip_install(venv, f"ebtrail[cdk] @ file://{wheel}")
    out = tmp_path / "cdk.out"
    # Run from an empty folder, not the checkout: only the installed package can be imported.
    env = {**os.environ, "CDK_OUTDIR": str(out), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    env.pop("PYTHONPATH", None)
    run(python, REPO_ROOT / "examples" / "own-app" / "app.py", cwd=tmp_path, env=env)
    template = json.loads((out / "PlatformAudit.template.json").read_text())
    types = sorted({resource["Type"] for resource in template["Resources"].values()})
    for expected in ("AWS::CloudTrail::Trail", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::IAM::Role"):
        assert expected in types
    located = run(python, "-c", "import ebtrail; print(ebtrail.__file__)", cwd=tmp_path)
    assert str(venv) in located.stdout, "the example must use the installed package, not the checkout"
