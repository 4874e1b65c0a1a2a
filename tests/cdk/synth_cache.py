"""Synthesizing the fixture configs (``tests/fixtures/configs``) for the tests (the session-wide cache lives in
conftest.py).

Building an app starts jsii (seconds); every test that needs a template asks this cache instead.
``Template.from_stack`` also runs the cdk-nag packs, so merely loading a template here proves that it
has no unacknowledged finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk.assertions import Template

from deployment.config import DeploymentConfig
from deployment.plan import plan
from stacks.app_builder import EbtrailApp, build_app


@dataclass
class Synthesized:
    """One config's app, its stacks' templates by stack name, and the parsed config."""

    config: DeploymentConfig
    built: EbtrailApp
    templates: dict[str, Template]

    def json(self, stack_name: str) -> dict[str, Any]:
        template: dict[str, Any] = dict(self.templates[stack_name].to_json())
        return template

    @property
    def archive(self) -> Template:
        return self.templates[self.built.archive_stack.stack_name]

    @property
    def archive_json(self) -> dict[str, Any]:
        return self.json(self.built.archive_stack.stack_name)


def synthesize(config: DeploymentConfig) -> Synthesized:
    built = build_app(plan(config))
    templates = {stack.stack_name: Template.from_stack(stack) for stack in built.stacks}
    return Synthesized(config=config, built=built, templates=templates)
