"""README.md holds nothing a test does not keep true (issue 21): at most 200 lines; every link leads to a file of the
repository; every `make` target and example config it names exists; the library snippet is code of the example app
that CI synthesizes. Its sample summary is checked in tests/cdk/test_lifecycle_and_summary.py."""

from __future__ import annotations

import re
from pathlib import Path

from ebtrail.verifier.cli import LAZY_COMMANDS

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / "README.md").read_text()
MAKEFILE = (REPO_ROOT / "Makefile").read_text()


def test_readme_is_at_most_200_lines() -> None:
    assert len(README.splitlines()) <= 200


def test_every_link_leads_to_a_file_of_the_repository() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    assert links
    assert [link for link in links if "://" in link or not (REPO_ROOT / link).is_file()] == []


def test_every_make_target_and_config_named_exists() -> None:
    phony = re.search(r"^\.PHONY: (.+)$", MAKEFILE, re.MULTILINE)
    assert phony is not None
    named = set(re.findall(r"`make ([a-z0-9-]+)", README)) | set(re.findall(r"^make ([a-z0-9-]+)", README, re.M))
    assert {"synth", "test", "verify", "deploy", "diff"} <= named
    assert named - set(phony.group(1).split()) == set()
    configs = set(re.findall(r"config/[a-z0-9-]+\.toml", README)) - {"config/mine.toml"}
    assert configs and [c for c in configs if not (REPO_ROOT / c).is_file()] == []
    commands = {name for names in re.findall(r"`ebtrail-verify ([a-z|-]+)", README) for name in names.split("|")}
    assert commands and commands <= set(LAZY_COMMANDS)


def test_the_library_snippet_is_code_of_the_example_app() -> None:
    [snippet] = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    app = (REPO_ROOT / "examples" / "own-app" / "app.py").read_text().splitlines()
    lines = [line for line in snippet.splitlines() if line.strip()]
    assert lines and [line for line in lines if line not in app] == []
