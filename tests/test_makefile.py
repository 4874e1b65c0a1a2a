"""The Makefile: `make help` and a bare `make` list every target; values with spaces reach the tools as one
argument; a failing `make synth` leaves the last good cdk.out in place. The set-up stamps are treated as current
(``-o``), so no test installs anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.paths import CONFIG_FIXTURES

REPO_ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (REPO_ROOT / "Makefile").read_text()
NO_SETUP = ["-o", ".venv/.installed", "-o", "node_modules/.installed"]


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *NO_SETUP, *args],
        cwd=REPO_ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("args", [(), ("help",)], ids=["bare-make", "make-help"])
def test_help_lists_every_target_with_one_line(args: tuple[str, ...]) -> None:
    phony = re.search(r"^\.PHONY: (.+)$", MAKEFILE, re.MULTILINE)
    assert phony is not None
    result = make(*args)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines()[1:]}
    assert listed == set(phony.group(1).split())
    assert all(len(line.split(maxsplit=1)) == 2 for line in result.stdout.splitlines()[1:])


def test_verify_passes_a_trail_with_spaces_as_one_argument() -> None:
    env = {**os.environ, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://localhost:9"}
    trail = "arn:aws:cloudtrail:bad region!:123456789012:trail/x y"
    result = make("verify", f"TRAIL={trail}", "ARGS=--json", env=env)
    assert result.returncode == 2  # make's status for a failed recipe (the verifier's own is 2 as well)
    out = json.loads(result.stdout)  # the whole output: make prints nothing of its own (the recipe is silent)
    assert any(repr(trail) in problem for problem in out["problems"]), out


def test_setup_installs_ebtrail_itself_so_ebtrail_verify_is_in_the_venv() -> None:
    """What the set-up would run (``-n``, nothing runs): the pins, then ebtrail editable without dependencies."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "requirements.txt", ".venv/.installed"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    pins = next(i for i, line in enumerate(lines) if "-r requirements-dev.txt -c constraints.txt" in line)
    itself = next(
        i
        for i, line in enumerate(lines)
        if line.endswith("pip install --quiet --disable-pip-version-check --no-deps -e .")
    )
    assert pins < itself < len(lines) - 1 and lines[-1] == 'touch ".venv/.installed"'


@pytest.mark.packaging
def test_the_setup_install_line_gives_a_venv_ebtrail_verify(tmp_path: Path) -> None:
    """The set-up's own line, in a fresh venv (not the shared one): ``ebtrail-verify --version`` answers."""
    line = re.search(r'^\t"\$\(VENV\)/bin/python" (-m pip install .*--no-deps -e \.)$', MAKEFILE, re.MULTILINE)
    assert line is not None
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin/python"), *line.group(1).split()], cwd=REPO_ROOT, check=True, timeout=300)
    shutil.rmtree(REPO_ROOT / "ebtrail.egg-info", ignore_errors=True)
    result = subprocess.run(
        [str(venv / "bin/ebtrail-verify"), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.startswith("ebtrail-verify ")


def test_deploy_checks_changes_on_the_assembly_it_deploys() -> None:
    """``make deploy`` runs ``changes --from-deployed`` on the synthesized assembly, stops on its refusal, and
    deploys that very assembly; ALLOW_REPLACE reaches it as one quoted argument."""
    result = make("-n", "deploy", "ALLOW_REPLACE=record notify")
    assert result.returncode == 0, result.stderr
    recipe = result.stdout
    assert 'changes --from-deployed --to "$tmp" --allow "$ALLOW_REPLACE" ||' in recipe
    assert recipe.index("changes --from-deployed") < recipe.index('cdk deploy --app "$tmp" --all')
    assert "exit 1" in recipe[recipe.index("changes --from-deployed") : recipe.index("cdk deploy")]


def test_redeploy_imports_each_mapping_before_the_deploy() -> None:
    result = make("-n", "redeploy")
    assert result.returncode == 0, result.stderr
    recipe = result.stdout
    order = ["import-map --assembly", 'cdk import --app "$tmp"', "--resource-mapping", 'cdk deploy --app "$tmp" --all']
    assert [recipe.index(step) for step in order] == sorted(recipe.index(step) for step in order)


@pytest.mark.cli
def test_failing_synth_with_a_spaced_config_keeps_the_last_cdk_out(tmp_path: Path) -> None:
    config = tmp_path / "my config.toml"
    config.write_text((CONFIG_FIXTURES / "default.toml").read_text().replace('"111111111111"', '"42"', 1))
    cdk_out = REPO_ROOT / "cdk.out"
    created = not cdk_out.exists()
    if created:
        cdk_out.mkdir()
        (cdk_out / "manifest.json").write_text("{}")
    before = sorted(p.name for p in cdk_out.iterdir())
    try:
        result = make("synth", f"CONFIG={config}")
        assert result.returncode == 2  # make's status for a failed recipe ...
        assert "synth] Error 1" in result.stderr  # ... here the cdk CLI's status 1 for the app's status 2
        assert "Subprocess exited with error 2" in result.stderr
        assert f"{config}: 1 problem(s)" in result.stderr  # the path arrived whole, space and all
        assert "archive.account" in result.stderr
        assert "Traceback" not in result.stderr
        assert sorted(p.name for p in cdk_out.iterdir()) == before
        assert not list(REPO_ROOT.glob(".cdk.out.*"))  # the temporary folder is gone
    finally:
        if created:
            shutil.rmtree(cdk_out)


def test_bench_runs_the_integrity_and_preflight_benchmarks() -> None:
    """What ``make bench`` would run (``-n``: nothing runs; the benchmarks are run by hand, never in CI)."""
    result = make("-n", "bench")
    assert result.returncode == 0, result.stderr
    scripts = re.findall(r"bench/(\w+\.py)", result.stdout)
    assert {"integrity_bench.py", "preflight_bench.py", "lifecycle_cost.py", "synth_bench.py"} <= set(scripts)
