"""The stacks of an adopted trail (``topology = "adopted"``): no trail, no log bucket, no log key.

* :class:`AdoptedArchiveStack`, in the bucket's account and region: Athena over the existing layout.
* :class:`ProofStack`, in the trail's account and home region: the proof layer
  (:class:`~ebtrail.constructs.proof_layer.TrailProofLayer`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from deployment.config import DeploymentConfig
from deployment.plan import adopted_athena_props, archive_names, proof_layer_props
from ebtrail.constructs.existing_archive_athena import ExistingArchiveAthena, ExistingArchiveAthenaProps
from ebtrail.constructs.proof_layer import TrailProofLayer
from ebtrail.core.names import ADOPTED_TRAIL_METADATA, ExistingTrail


class AdoptedArchiveStack(Stack):
    """Athena over the adopted trail's bucket, in the bucket's account and region (empty when Athena is off)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, existing: ExistingTrail, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=existing.bucket_account, region=existing.bucket_region),
            description=f"ebtrail on the adopted trail {existing.target.name}: Athena over bucket {existing.bucket}",
            **kwargs,
        )
        self.athena: ExistingArchiveAthena | None = None
        options = adopted_athena_props(config, existing)
        if options is not None:
            self.athena = ExistingArchiveAthena(
                self,
                "Default",
                ExistingArchiveAthenaProps(
                    trail=existing,
                    names=archive_names(config),
                    athena=options,
                ),
            )


class ProofStack(Stack):
    """The proof layer of the adopted trail, in the proof account (the trail's by default) and home region; with
    ``alarms_only`` the CIS alarms (and alerts) in the trail's account, where its log group is."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        existing: ExistingTrail,
        alarms_only: bool = False,
        **kwargs: Any,
    ) -> None:
        target = existing.target
        account = target.account if alarms_only else existing.proof_target.account
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=account, region=target.home_region),
            description=f"ebtrail proof layer on the adopted trail {target.name}: canary, alerts, verifier, alarms",
            **kwargs,
        )
        props = proof_layer_props(config, existing)
        if alarms_only:
            props = replace(
                props, trail=replace(existing, proof_account=None), canary=None, verifier=False, data_events=None
            )
        self.layer = TrailProofLayer(self, "Default", props)
        if not alarms_only:
            self.template_options.metadata = {
                ADOPTED_TRAIL_METADATA: {
                    "Trail": target.arn,
                    "Bucket": existing.bucket,
                    "ReadersPrefix": config.name_prefix,
                    "ReadersAccount": existing.proof_target.account,
                }
            }
