"""The real thing once: ``cdk synth`` through the pinned CLI and Node 22, as ``make synth`` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.app_builder import REPO_ROOT
from tests.fixtures.paths import CONFIG_FIXTURES

CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


@pytest.mark.cli
def test_pinned_cli_synthesizes_the_default_config(tmp_path: Path) -> None:
    assert CDK.exists(), "run `make setup` (npm ci) first"
    outdir = tmp_path / "cdk.out"
    env = {
        **os.environ,
        "PATH": f"{CDK.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CDK_DISABLE_VERSION_CHECK": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "-c", f"config={CONFIG_FIXTURES / 'default.toml'}", "-o", str(outdir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Node 20 is end-of-life" not in result.stderr  # jsii ran on the pinned Node 22
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {
        artifact["properties"]["stackName"]: artifact["environment"]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert stacks == {
        "ebtrail-log-archive": "aws://111111111111/us-east-1",
        "ebtrail-trail-111111111111": "aws://111111111111/us-east-1",
    }
