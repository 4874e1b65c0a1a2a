"""Builds the CDK app from a deployment plan (:func:`deployment.plan.plan` of a config): the one place stacks
are wired together, used by app.py and tests. Nothing here reads the config model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import Construct

from deployment.plan import ARCHIVE_POLICY_FIELD, GUARDRAILS_POLICY_FIELD, AdoptionPlan, DeploymentPlan
from stacks.adopted_stacks import AdoptedArchiveStack, ProofStack
from stacks.guardrails_stack import GuardrailsStack
from stacks.log_archive_stack import LogArchiveStack
from stacks.trail_stack import TrailStack

REPO_ROOT = Path(__file__).resolve().parent.parent


@cache
def feature_flags() -> dict[str, Any]:
    """The feature flags of cdk.json, so an ``App()`` built in a test synthesizes what ``cdk synth`` does."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {key: value for key, value in context.items() if key.startswith("@aws-cdk")}


@dataclass
class EbtrailApp:
    """The app and its stacks, by role."""

    app: App
    #: The archive's stack: ebtrail's own archive, or Athena over an adopted trail's bucket.
    archive_stack: LogArchiveStack | AdoptedArchiveStack
    #: The trails ebtrail creates (none for an adopted trail).
    trails: list[TrailStack]
    #: The organization's service control policy (``organization.guardrails``), if configured.
    guardrails: GuardrailsStack | None = None
    #: The proof layer on an adopted trail (``topology = "adopted"``).
    proof: ProofStack | None = None
    #: The CIS alarms on the adopted trail's log group, when the proof layer runs in another account.
    alarms: ProofStack | None = None

    @property
    def log_archive(self) -> LogArchiveStack:
        """ebtrail's own archive (an adopted trail has none: :attr:`archive_stack` is its Athena stack)."""
        if not isinstance(self.archive_stack, LogArchiveStack):
            raise ValueError("an adopted trail's app has no log archive of ebtrail's own; see archive_stack")
        return self.archive_stack

    @property
    def stacks(self) -> list[Stack]:
        return [
            self.archive_stack,
            *self.trails,
            *([self.proof] if self.proof else []),
            *([self.alarms] if self.alarms else []),
            *([self.guardrails] if self.guardrails else []),
        ]


def build_app(
    deployment: DeploymentPlan,
    *,
    app: App | None = None,
    compliance: bool = True,
    enforce_policy_limits: bool = True,
) -> EbtrailApp:
    """Create every stack of ``deployment`` (:func:`deployment.plan.plan` of a config) in ``app`` (a new one with
    cdk.json's flags by default).

    ``compliance`` adds the cdk-nag AwsSolutions and NIST 800-53 R5 packs as validation plugins: any
    unacknowledged finding then fails synthesis (``cdk synth`` and ``Template.from_stack`` alike).
    ``enforce_policy_limits`` refuses (``ConfigError``, :meth:`DeploymentPlan.error`) a bucket, key or service
    control policy over AWS's size limit, reporting the constructs' own size validation
    (:func:`policy_size_problems`) before synthesis; off, the same validation fails synthesis instead (the
    benchmarks synthesize with ``skip_validation`` to measure past the limits).
    """
    if app is None:
        app = App(context={**feature_flags(), "aws:cdk:version-reporting": False})
    if deployment.adoption is not None:
        built = _build_adopted(app, deployment.adoption)
    else:
        built = _build_own(app, deployment)
        if enforce_policy_limits and (problems := policy_size_problems(built.log_archive, built.guardrails)):
            raise deployment.error(problems)
    for key, value in deployment.tags:
        Tags.of(app).add(key, value)
    if compliance:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    return built


def _build_own(app: App, deployment: DeploymentPlan) -> EbtrailApp:
    """ebtrail's archive, its trails and the guardrails."""
    assert deployment.archive is not None, "a plan without adoption has an archive"
    place = deployment.archive.place
    log_archive = LogArchiveStack(app, place.construct_id, stack_name=place.stack_name, plan=deployment.archive)
    trails = [
        TrailStack(app, trail.place.construct_id, stack_name=trail.place.stack_name, plan=trail, archive=log_archive)
        for trail in deployment.trails
    ]
    guardrails = None
    if deployment.guardrails is not None:
        place = deployment.guardrails.place
        guardrails = GuardrailsStack(
            app,
            place.construct_id,
            stack_name=place.stack_name,
            plan=deployment.guardrails,
            after=[log_archive, *trails],
        )
    return EbtrailApp(app=app, archive_stack=log_archive, trails=trails, guardrails=guardrails)


def _build_adopted(app: App, adoption: AdoptionPlan) -> EbtrailApp:
    """The stacks on a trail ebtrail does not own: Athena in the bucket's account, the proof layer in the trail's.
    No trail, no log bucket, no log key; no policy of the owner's to measure."""
    archive = AdoptedArchiveStack(
        app, adoption.archive.construct_id, stack_name=adoption.archive.stack_name, plan=adoption
    )
    proof = ProofStack(
        app, adoption.proof.place.construct_id, stack_name=adoption.proof.place.stack_name, plan=adoption.proof
    )
    alarms = None
    if adoption.alarms is not None:
        place = adoption.alarms.place
        alarms = ProofStack(app, place.construct_id, stack_name=place.stack_name, plan=adoption.alarms)
    return EbtrailApp(app=app, archive_stack=archive, trails=[], proof=proof, alarms=alarms)


def archive_policy_sizes(log_archive: LogArchiveStack) -> dict[str, int]:
    """Bytes of the log bucket policy and the log key policy, as S3 and KMS will count them."""
    return log_archive.archive.policy_sizes()


def policy_size_problems(
    log_archive: LogArchiveStack, guardrails: GuardrailsStack | None = None
) -> list[tuple[str, str]]:
    """The size validations of the archive and the guardrails constructs (``node.validate()``, the check synthesis
    runs), each error on the config field its message names. The app measures and words nothing itself: the
    constructs' ``policy_size_message`` props carry the app's wording (:mod:`deployment.plan`)."""
    checked: list[tuple[str, Construct]] = [(ARCHIVE_POLICY_FIELD, log_archive.archive)]
    if guardrails is not None:
        checked.append((GUARDRAILS_POLICY_FIELD, guardrails.guardrails))
    return [(field, error) for field, construct in checked for error in construct.node.validate()]
