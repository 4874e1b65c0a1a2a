"""The stacks of an adopted trail (``topology = "adopted"``): no trail, no log bucket, no log key.

* :class:`AdoptedArchiveStack`, in the bucket's account and region: Athena over the existing layout.
* :class:`ProofStack`, in the trail's account and home region: the proof layer
  (:class:`~ebtrail.constructs.proof_layer.TrailProofLayer`).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.plan import AdoptionPlan, ProofPlan
from ebtrail.constructs.existing_archive_athena import ExistingArchiveAthena
from ebtrail.constructs.proof_layer import TrailProofLayer


class AdoptedArchiveStack(Stack):
    """Athena over the adopted trail's bucket, in the bucket's account and region (empty when Athena is off)."""

    def __init__(self, scope: Construct, construct_id: str, *, plan: AdoptionPlan, **kwargs: Any) -> None:
        existing = plan.existing
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=plan.archive.account, region=plan.archive.region),
            description=f"ebtrail on the adopted trail {existing.target.name}: Athena over bucket {existing.bucket}",
            **kwargs,
        )
        self.athena: ExistingArchiveAthena | None = None
        if plan.athena is not None:
            self.athena = ExistingArchiveAthena(self, "Default", plan.athena)


class ProofStack(Stack):
    """The proof layer of the adopted trail, in the proof account (the trail's by default) and home region; or
    (the plan's ``alarms``) the CIS alarms and alerts in the trail's account, where its log group is."""

    def __init__(self, scope: Construct, construct_id: str, *, plan: ProofPlan, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=plan.place.account, region=plan.place.region),
            description=(
                f"ebtrail proof layer on the adopted trail {plan.props.trail.target.name}: "
                "canary, alerts, verifier, alarms"
            ),
            **kwargs,
        )
        self.layer = TrailProofLayer(self, "Default", plan.props)
        if plan.metadata is not None:
            self.template_options.metadata = plan.metadata
