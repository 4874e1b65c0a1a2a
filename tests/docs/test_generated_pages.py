"""The generated parts of the documentation (tools/docs_gen.py) are current, placed, and cover the config: a page
edited by hand, a config field without a description, a field of an example config missing from the reference,
an exit code of a command nobody documented, each fails here (issue 21)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from deployment.config import TOPOLOGY_TYPES
from ebtrail.verifier.cli import LAZY_COMMANDS
from ebtrail.verifier.exit_codes import COMMAND_EXITS, ExitCode
from tools import config_reference, docs_gen

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIGS = sorted((REPO_ROOT / "config").glob("*.toml"))


def test_every_generated_page_is_current() -> None:
    stale = [str(page.relative_to(REPO_ROOT)) for page in docs_gen.stale_pages(write=False)]
    assert stale == [], "regenerate with `python -m tools.docs_gen` and commit the pages"


def test_every_generated_part_is_placed_in_a_page_of_the_site() -> None:
    placed = docs_gen.placed_parts()
    assert sorted(placed) == sorted(docs_gen.generators())
    for name, where in placed.items():
        assert any(page.is_relative_to(REPO_ROOT / "docs") for page in where), name


def test_a_page_edited_by_hand_is_stale_and_rewritten(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "reference.md"
    page.parent.mkdir()
    page.write_text(
        "# x\n\n<!-- generated: exit-codes verify -->\n| 0 | fine |\n<!-- end generated: exit-codes verify -->\n"
    )
    assert docs_gen.stale_pages(tmp_path, write=True) == [page]
    assert docs_gen.exit_code_table("verify") in page.read_text()
    assert docs_gen.stale_pages(tmp_path, write=False) == []
    assert "| 0 | fine |" not in page.read_text()


def test_markers_naming_no_part_are_refused() -> None:
    text = "<!-- generated: exit-codes verfy -->\n<!-- end generated: exit-codes verfy -->\n"
    with pytest.raises(docs_gen.UnknownPartError, match="exit-codes verfy"):
        docs_gen.regenerate(text, {"exit-codes verify": ""}, "page.md")


def test_check_mode_exits_1_on_a_stale_page_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for page in docs_gen.pages():
        target = tmp_path / page.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.read_text())
    verifier_page = tmp_path / "docs" / "verifier.md"
    edited = verifier_page.read_text().replace("| 1 | it did not arrive", "| 1 | it never arrived", 1)
    verifier_page.write_text(edited)
    assert docs_gen.main(["--check"], root=tmp_path) == 1
    assert "docs/verifier.md: stale" in capsys.readouterr().err
    assert verifier_page.read_text() == edited


def _paths(table: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted path of every key of a TOML document (``[]`` for the items of an array of tables)."""
    found = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        found.append(path)
        if isinstance(value, dict):
            found += _paths(value, f"{path}.")
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            for item in value:
                found += _paths(item, f"{path}[].")
    return found


@pytest.mark.parametrize("config_file", EXAMPLE_CONFIGS, ids=lambda p: p.name)
def test_every_field_of_every_example_config_is_in_the_reference(config_file: Path) -> None:
    data = tomllib.loads(config_file.read_text())
    topology = data.get("topology", "single-account")
    rows = [row for row in config_reference.reference_rows() if topology in row.topologies]
    documented = {row.path for row in rows}
    free_form = [row.path for row in rows if row.free_form]
    paths = _paths(data)
    assert paths
    missing = [
        path
        for path in paths
        if path not in documented and not any(path.startswith(f"{table}.") for table in free_form)
    ]
    assert missing == []
    page = (REPO_ROOT / "docs" / "config.md").read_text()
    assert all(f"| `{path}`" in page for path in documented)


def test_reference_rows_carry_type_default_allowed_and_description() -> None:
    rows = {(row.path, tuple(row.topologies)): row for row in config_reference.reference_rows()}
    everywhere = tuple(TOPOLOGY_TYPES)
    expiration = rows[("archive.lifecycle.expiration_days", everywhere)]
    assert (expiration.type, expiration.default, expiration.allowed) == ("integer", "`2557`", "1 to 36500")
    assert expiration.description.startswith("Delete log files this many days after delivery")
    rate = rows[("canary.rate_minutes", everywhere)]
    assert (rate.default, rate.allowed) == ("`60`", "15 to 1440")
    topology = rows[("topology", everywhere)]
    assert topology.allowed == '`"single-account"`, `"accounts"`, `"organization"`, `"adopted"`'
    assert topology.default == '`"single-account"`'
    events = rows[("trail.management_events", everywhere)]
    assert events.allowed == '`"All"`, `"ReadOnly"`, `"WriteOnly"`'
    assert rows[("trail.members", ("accounts",))].default == "required"
    assert rows[("trail.members", ("organization",))].default == "`[]`"
    assert ("trail.account", ("single-account",)) in rows
    assert rows[("organization.id", ("organization",))].allowed.startswith("o- followed by 10 to 32")
    retention = rows[("cloudwatch_logs.retention_days", everywhere)]
    assert retention.allowed.startswith("one of 1, 3, 5, 7, 14") and retention.allowed.endswith("3653")
    assert rows[("tags", everywhere)].free_form


def test_every_field_of_the_model_has_a_description() -> None:
    rows = config_reference.reference_rows()
    assert all(row.description for row in rows)

    class Undocumented(BaseModel):
        documented: int = Field(default=1, description="Has words")
        bare: int = 2

    with pytest.raises(config_reference.MissingDescriptionError, match=r"Undocumented\.bare \(bare\)"):
        list(config_reference._rows_of(Undocumented, ""))


def test_each_command_documents_every_exit_code_it_has() -> None:
    assert sorted(COMMAND_EXITS) == sorted(LAZY_COMMANDS)
    for command in ("verify", "integrity"):
        codes = [int(code) for code, _ in COMMAND_EXITS[command]]
        assert codes == [0, 1, 2, 3, 130, 143, 129]
    assert {int(code) for code in ExitCode} <= {int(code) for code, _ in COMMAND_EXITS["verify"]}
    for command, rows in COMMAND_EXITS.items():
        assert len({int(code) for code, _ in rows}) == len(rows), command
        assert all(meaning and "|" not in meaning for _, meaning in rows), command
