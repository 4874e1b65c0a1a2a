"""Session fixtures: each fixture config (tests/fixtures/configs) is synthesized once and its templates shared among
the tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deployment.config import load_config
from tests.cdk.synth_cache import Synthesized, synthesize
from tests.fixtures.paths import CONFIG_FIXTURES


@pytest.fixture(scope="session")
def synthesized() -> Callable[[str], Synthesized]:
    """``synthesized("default.toml")``: that fixture config, synthesized once per session."""
    cache: dict[str, Synthesized] = {}

    def get(config_file: str) -> Synthesized:
        if config_file not in cache:
            cache[config_file] = synthesize(load_config(CONFIG_FIXTURES / config_file))
        return cache[config_file]

    return get


@pytest.fixture(scope="session")
def default(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("default.toml")
