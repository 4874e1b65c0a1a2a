"""The documentation site builds with ``mkdocs build --strict`` (no broken link or anchor, no page left out of the
nav), and its generated reference and mermaid diagrams reach the HTML (``make docs`` runs the same build)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_site_builds_strictly_with_the_reference_and_the_diagrams(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reference = (site / "config" / "index.html").read_text()
    assert "archive.lifecycle.expiration_days" in reference
    assert 'class="mermaid"' in (site / "topologies" / "index.html").read_text()
    assert "Contributing" in (site / "contributing" / "index.html").read_text()
