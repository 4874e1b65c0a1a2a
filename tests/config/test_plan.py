"""deployment.plan.plan(config): the whole deployment in plain values, what the stacks take instead of the config.

Plain means frozen dataclasses, tuples, strings, numbers and dicts of them: no construct (the stacks create
those), no config model (the stacks never see it), so the same values can be handed to the constructs in an app
of one's own."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import BaseModel

from deployment.config import load_config
from deployment.plan import plan
from ebtrail.core.names import TrailTarget
from tests.fixtures.paths import CONFIG_FIXTURES, FIXTURE_CONFIGS

PLAIN = (str, int, float, bool, type(None))


def impure(value: Any, path: str) -> list[str]:
    """Every place under ``value`` that is not a plain value, with its path."""
    if isinstance(value, PLAIN) or hasattr(value, "isoformat"):
        return []
    if isinstance(value, (tuple, frozenset)):
        return [p for i, item in enumerate(value) for p in impure(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in impure(item, f"{path}[{key!r}]")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        params = vars(type(value))["__dataclass_params__"]
        found = [] if params.frozen else [f"{path}: {type(value).__name__} is not frozen"]
        for field in dataclasses.fields(value):
            found += impure(getattr(value, field.name), f"{path}.{field.name}")
        return found
    kind = "a config model" if isinstance(value, BaseModel) else type(value).__name__
    return [f"{path}: {kind}"]


@pytest.mark.parametrize("config_file", FIXTURE_CONFIGS)
def test_the_plan_of_every_fixture_config_is_plain_values(config_file: str) -> None:
    deployment = plan(load_config(CONFIG_FIXTURES / config_file))
    assert impure(deployment, "plan") == []
    if deployment.adoption is None:
        assert deployment.archive is not None and deployment.trails
    else:
        assert deployment.archive is None and not deployment.trails


def test_the_plan_carries_every_feature_of_a_trail() -> None:
    deployment = plan(load_config(CONFIG_FIXTURES / "default.toml"))
    [trail] = deployment.trails
    assert isinstance(trail.target, TrailTarget)
    props = trail.props
    assert props.archive == deployment.names
    assert props.canary is not None and props.alerts is not None
    assert (trail.place.account, trail.place.region) == (trail.target.account, trail.target.home_region)
    assert trail.place.stack_name == trail.target.stack_name(deployment.names.prefix)


def test_a_plain_value_check_that_finds_a_config_model() -> None:
    config = load_config(CONFIG_FIXTURES / "default.toml")
    assert impure((config,), "x") == ["x[0]: a config model"]
    assert impure([1], "y") == ["y: list"]
