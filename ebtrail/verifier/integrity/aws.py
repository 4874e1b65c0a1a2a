"""AWS access for the integrity check: the trail's settings (``GetTrail``) and CloudTrail's public keys, through the
verifier's one :class:`~ebtrail.verifier.aws.Clients`."""

from __future__ import annotations

from datetime import datetime, timedelta

from ebtrail.verifier.aws import AWS_ERRORS, Arn, Clients
from ebtrail.verifier.trail_info import TrailInfo, get_trail

# How much wider than asked ListPublicKeys is queried, so that walking a chain back costs one call per region.
PUBLIC_KEY_LOOKBACK = timedelta(days=1)
PUBLIC_KEY_LOOKAHEAD = timedelta(hours=2)


class TrailConfigError(RuntimeError):
    """The trail cannot be found or is not usable for the check."""


def resolve_trail(clients: Clients, trail: str) -> TrailInfo:
    """GetTrail by name or ARN (an ARN is looked up in its own region), read by :meth:`TrailInfo.from_get_trail`."""
    arn = Arn.parse(trail)
    region = arn.region if arn and arn.region else clients.region
    if not region:
        raise TrailConfigError("no region: pass --region, set AWS_REGION, or give the trail's ARN")
    try:
        answer = get_trail(clients.cloudtrail(region), trail)
    except AWS_ERRORS as exc:
        raise TrailConfigError(f"GetTrail {trail} in {region}: {exc}") from exc
    info = TrailInfo.from_get_trail(answer, requested=trail, region=region)
    if not info.complete:
        raise TrailConfigError(f"GetTrail returned an incomplete trail: {dict(answer)!r}")
    return info


class PublicKeys:
    """CloudTrail's public keys by region and fingerprint, from ListPublicKeys (keys are per region)."""

    def __init__(self, clients: Clients) -> None:
        self._clients = clients
        self._keys: dict[tuple[str, str], bytes] = {}
        self._queried: dict[str, list[tuple[datetime, datetime]]] = {}

    def find(self, region: str, fingerprint: str, start: datetime, end: datetime) -> bytes | None:
        """The DER bytes of the key with ``fingerprint`` valid in [start, end] in ``region``, or None.

        Raises botocore's ClientError/BotoCoreError when ListPublicKeys fails.
        """
        if (region, fingerprint) in self._keys:
            return self._keys[(region, fingerprint)]
        if not any(s <= start and end <= e for s, e in self._queried.get(region, [])):
            self._load(region, start - PUBLIC_KEY_LOOKBACK, end + PUBLIC_KEY_LOOKAHEAD)
        return self._keys.get((region, fingerprint))

    def cover(self, region: str, start: datetime, end: datetime) -> None:
        """Read the keys of ``region`` for digests of [start, end] now, in one ``ListPublicKeys`` (paginated), so
        that threads checking those digests in any order find them without another call. Raises AWS errors."""
        if not any(s <= start and end <= e for s, e in self._queried.get(region, [])):
            self._load(region, start - PUBLIC_KEY_LOOKBACK, end + PUBLIC_KEY_LOOKAHEAD)

    def _load(self, region: str, start: datetime, end: datetime) -> None:
        paginator = self._clients.cloudtrail(region).get_paginator("list_public_keys")
        for page in paginator.paginate(StartTime=start, EndTime=end):
            for key in page.get("PublicKeyList", []):
                if "Fingerprint" in key and "Value" in key:
                    # boto3 has already base64-decoded the blob: Value is the DER bytes.
                    self._keys[(region, key["Fingerprint"])] = key["Value"]
        self._queried.setdefault(region, []).append((start, end))
