"""The configs ``make e2e`` deploys on day two (``tests/e2e/day_two.py``): written as TOML that reads back, and
valid configs that change what each step says."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from deployment.config import parse_config
from tests.e2e import day_two

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "config").glob("*.toml"), key=lambda p: p.name)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_example_config_is_written_as_toml_that_reads_back(path: Path) -> None:
    data = day_two.read(path)
    assert tomllib.loads(day_two.dumps(data)) == data


@pytest.mark.parametrize("name", ["default.toml", "organization.toml"])
def test_the_update_adds_a_subscriber_lengthens_the_lifecycle_and_turns_cloudwatch_logs_on(name: str) -> None:
    before = parse_config(day_two.read(REPO / "config" / name), name)
    after = parse_config(day_two.updated(day_two.read(REPO / "config" / name)), name)
    assert after.trail.notification_emails == (*before.trail.notification_emails, day_two.ADDED_SUBSCRIBER)
    assert before.archive.lifecycle.expiration_days != day_two.UPDATED_EXPIRATION_DAYS
    assert after.archive.lifecycle.expiration_days == day_two.UPDATED_EXPIRATION_DAYS
    assert (before.cloudwatch_logs.enabled, after.cloudwatch_logs.enabled) == (False, True)


@pytest.mark.parametrize("name", ["default.toml", "organization.toml"])
def test_the_rename_keeps_the_old_name_in_previous_names(name: str) -> None:
    before = parse_config(day_two.read(REPO / "config" / name), name)
    after = parse_config(day_two.renamed(day_two.read(REPO / "config" / name), keep_previous=True), name)
    assert after.trail.name == before.trail.name + day_two.RENAME_SUFFIX
    assert after.trail.previous_names == (before.trail.name,)


def test_a_value_toml_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot write NoneType"):
        day_two.dumps({"a": None})
