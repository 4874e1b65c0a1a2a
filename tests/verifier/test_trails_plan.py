"""``ebtrail-verify trails --config`` reads the config with tomllib (the base install has no pydantic); this checks
that what it reads, the trails a config creates, is what the config model says for every example and fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployment.config.loading import load_config
from ebtrail.verifier.trails.plan import read_plan
from tests.fixtures.paths import CONFIG_FIXTURES, EXAMPLE_CONFIGS_DIR

CONFIGS = sorted([*EXAMPLE_CONFIGS_DIR.glob("*.toml"), *CONFIG_FIXTURES.glob("*.toml")])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_plan_names_the_trails_the_config_model_creates(path: Path) -> None:
    config = load_config(path)
    plan = read_plan(path)
    assert plan.topology == config.topology
    expected = [(t.account, t.home_region, t.name, t.organization_id) for t in config.trail_targets()]
    if getattr(config, "existing_trail", None) is not None:  # an adopted trail is not one ebtrail creates
        expected = []
    assert [(t.account, t.home_region, t.name, t.organization_id) for t in plan.trails] == expected
    assert plan.coverage.read_write == config.trail.management_events
    assert plan.creates_management_trail is bool(expected)


def test_the_examples_cover_every_creating_topology() -> None:
    assert {read_plan(path).topology for path in CONFIGS} >= {"single-account", "accounts", "organization"}
