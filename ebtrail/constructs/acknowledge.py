"""One way to acknowledge a cdk-nag finding, so every acknowledgment reads the same and can be listed."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag rule (or ``Rule[Finding]``) on ``scope`` and the constructs below it.

    ``reason`` must say why the finding does not apply here, specific to this resource.
    """
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
