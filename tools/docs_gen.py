"""``python -m tools.docs_gen [--check]``: write the generated parts of the documentation from the code.

A generated part is the text between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->`` in any
page under ``docs/`` (or README.md, CONTRIBUTING.md); the markers stay, the text between them is rewritten. The
parts: the config reference (from the pydantic model of :mod:`deployment.config`, descriptions on the fields), the
exit-code table of each ``ebtrail-verify`` command (:data:`ebtrail.verifier.exit_codes.COMMAND_EXITS`), the
verifier's IAM permission table (:mod:`ebtrail.core.permissions`) and the lifecycle defaults
(:data:`ebtrail.core.lifecycle.DEFAULTS`). So these pages are never kept by hand: change
the code, run this (``make docs`` does), commit both. ``--check`` writes nothing and exits 1 naming each stale
page; tests/docs/test_generated_pages.py runs the same check.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from ebtrail.core import permissions
from ebtrail.core.lifecycle import DEFAULTS as LIFECYCLE
from ebtrail.verifier.exit_codes import COMMAND_EXITS
from tools import config_reference

REPO_ROOT = Path(__file__).resolve().parents[1]

_BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<name>[a-z0-9 -]+?) -->\n)(?P<body>.*?)(?P<close><!-- end generated: (?P=name) -->)",
    re.DOTALL,
)


def exit_code_table(command: str) -> str:
    """The exit-code table of one ``ebtrail-verify`` command."""
    rows = [f"| {int(code)} | {meaning} |" for code, meaning in COMMAND_EXITS[command]]
    return "\n".join(["| exit code | meaning |", "|---|---|", *rows])


#: Each lifecycle default (:class:`ebtrail.core.lifecycle.LifecycleDefaults` field) by the config field and the
#: library prop that take it as their default (tests/package/test_lifecycle_once.py checks both read it).
LIFECYCLE_FIELDS: dict[str, tuple[str, str]] = {
    "transitions": ("archive.lifecycle.transitions", "LifecycleRules.transitions"),
    "expiration_days": ("archive.lifecycle.expiration_days", "LifecycleRules.expiration_days"),
    "noncurrent_version_expiration_days": (
        "archive.lifecycle.noncurrent_version_expiration_days",
        "LifecycleRules.noncurrent_version_expiration_days",
    ),
    "abort_incomplete_multipart_upload_days": (
        "archive.lifecycle.abort_incomplete_multipart_upload_days",
        "LifecycleRules.abort_incomplete_multipart_upload_days",
    ),
    "access_log_retention_days": ("archive.access_logs.retention_days", "LogArchiveProps.access_log_retention_days"),
    "athena_results_expiration_days": ("athena.results_expiration_days", "AthenaOptions.results_expiration_days"),
}


def lifecycle_defaults() -> str:
    """The lifecycle defaults (:data:`ebtrail.core.lifecycle.DEFAULTS`) with the config field and the library prop
    of each, and what they do to a log file (the lines ``make synth`` prints for them)."""
    rows = ["| default | config field | library prop |", "|---|---|---|"]
    for name, (config_field, prop) in LIFECYCLE_FIELDS.items():
        value = getattr(LIFECYCLE, name)
        if name == "transitions":
            shown = ", ".join(f"{storage_class} at {days} days" for storage_class, days in value)
        else:
            shown = "never" if value is None else f"{value} days"
        rows.append(f"| {shown} | `{config_field}` | `{prop}` |")
    plan = LIFECYCLE.plan
    return "\n".join([*rows, "", f"What they do to a log file: {plan.describe()}. {plan.describe_athena()}."])


def generators() -> dict[str, Callable[[], str]]:
    """Each generated part by the name its markers carry."""
    parts: dict[str, Callable[[], str]] = {
        "config-reference": config_reference.markdown,
        "permissions": permissions.markdown_table,
        "lifecycle-defaults": lifecycle_defaults,
    }
    for command in COMMAND_EXITS:
        parts[f"exit-codes {command}"] = partial(exit_code_table, command)
    return parts


def pages(root: Path = REPO_ROOT) -> list[Path]:
    """Every page that may hold a generated part."""
    return sorted((root / "docs").rglob("*.md")) + [
        p for p in (root / "README.md", root / "CONTRIBUTING.md") if p.exists()
    ]


class UnknownPartError(Exception):
    """Markers naming a part no generator writes (a typo would otherwise leave the part unchecked)."""


def regenerate(text: str, parts: dict[str, str], where: str = "") -> str:
    """``text`` with each generated part rewritten."""

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in parts:
            raise UnknownPartError(f"{where}: no generated part named {name!r}; known: {', '.join(sorted(parts))}")
        # Blank lines around the part: a table must not run into the closing marker.
        return f"{match['open']}\n{parts[name]}\n\n{match['close']}"

    return _BLOCK.sub(body, text)


def part_names(text: str) -> set[str]:
    return {match["name"] for match in _BLOCK.finditer(text)}


def stale_pages(root: Path = REPO_ROOT, write: bool = False) -> list[Path]:
    """Pages whose generated parts differ from what the code says now (rewritten when ``write``)."""
    parts = {name: make() for name, make in generators().items()}
    stale = []
    for page in pages(root):
        text = page.read_text()
        fresh = regenerate(text, parts, str(page.relative_to(root)))
        if fresh != text:
            stale.append(page)
            if write:
                page.write_text(fresh)
    return stale


def placed_parts(root: Path = REPO_ROOT) -> dict[str, list[Path]]:
    """Where each generated part is placed (a part placed nowhere is documentation nobody reads)."""
    placed: dict[str, list[Path]] = {name: [] for name in generators()}
    for page in pages(root):
        for name in part_names(page.read_text()):
            placed.setdefault(name, []).append(page)
    return placed


def main(argv: Iterable[str] | None = None, root: Path = REPO_ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs_gen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is stale")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        stale = stale_pages(root, write=not args.check)
    except (UnknownPartError, config_reference.MissingDescriptionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    unplaced = sorted(name for name, where in placed_parts(root).items() if not where)
    for name in unplaced:
        print(f"error: the generated part {name!r} is in no page; add its markers to one", file=sys.stderr)
    for page in stale:
        verb = "stale (run `python -m tools.docs_gen`)" if args.check else "rewritten"
        print(f"{page.relative_to(root)}: {verb}", file=sys.stderr if args.check else sys.stdout)
    return 1 if unplaced or (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
