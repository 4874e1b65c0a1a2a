"""AWS access for the integrity check: clients (standard retry mode), the trail's settings, CloudTrail public keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config

from ebtrail.verifier.aws import AWS_ERRORS

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_cloudtrail.type_defs import TrailTypeDef
    from mypy_boto3_s3 import S3Client

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    user_agent_extra="ebtrail-verifier/integrity",
)
# How much wider than asked ListPublicKeys is queried, so that walking a chain back costs one call per region.
PUBLIC_KEY_LOOKBACK = timedelta(days=1)
PUBLIC_KEY_LOOKAHEAD = timedelta(hours=2)


class AwsClients:
    """Creates (once) the clients the check needs; tests replace or stub them."""

    def __init__(self, session: boto3.Session, region: str | None = None) -> None:
        self.session = session
        self.region = region or session.region_name
        self._s3: S3Client | None = None
        self._cloudtrail: dict[str, CloudTrailClient] = {}

    def s3(self) -> S3Client:
        # One client is enough: botocore follows S3's region redirects for a bucket in another region.
        if self._s3 is None:
            self._s3 = self.session.client("s3", region_name=self.region, config=CLIENT_CONFIG)
        return self._s3

    def cloudtrail(self, region: str) -> CloudTrailClient:
        if region not in self._cloudtrail:
            self._cloudtrail[region] = self.session.client("cloudtrail", region_name=region, config=CLIENT_CONFIG)
        return self._cloudtrail[region]

    def organization_id(self) -> str:
        """The caller's organization ID (organizations:DescribeOrganization)."""
        client = cast(Any, self.session.client("organizations", region_name=self.region, config=CLIENT_CONFIG))
        return str(client.describe_organization()["Organization"]["Id"])


class TrailConfigError(RuntimeError):
    """The trail cannot be found or is not usable for the check."""


@dataclass(frozen=True)
class TrailInfo:
    """What the check needs to know about a trail (from GetTrail, or given directly)."""

    name: str
    home_region: str
    account_id: str
    bucket: str
    prefix: str | None = None
    is_organization_trail: bool = False
    log_file_validation_enabled: bool | None = None

    @property
    def arn(self) -> str:
        partition = boto3.session.Session().get_partition_for_region(self.home_region)
        return f"arn:{partition}:cloudtrail:{self.home_region}:{self.account_id}:trail/{self.name}"

    @classmethod
    def from_trail(cls, trail: TrailTypeDef) -> TrailInfo:
        arn = trail.get("TrailARN", "")
        arn_parts = arn.split(":")
        if len(arn_parts) < 6 or "S3BucketName" not in trail:
            raise TrailConfigError(f"GetTrail returned an incomplete trail: {trail!r}")
        return cls(
            name=trail.get("Name") or arn.rsplit("/", 1)[-1],
            home_region=trail.get("HomeRegion") or arn_parts[3],
            account_id=arn_parts[4],
            bucket=trail["S3BucketName"],
            prefix=trail.get("S3KeyPrefix") or None,
            is_organization_trail=bool(trail.get("IsOrganizationTrail", False)),
            log_file_validation_enabled=trail.get("LogFileValidationEnabled"),
        )


def resolve_trail(clients: AwsClients, trail: str) -> TrailInfo:
    """GetTrail by name or ARN (an ARN is looked up in its own region)."""
    region = trail.split(":")[3] if trail.startswith("arn:") and trail.count(":") >= 5 else clients.region
    if not region:
        raise TrailConfigError("no region: pass --region, set AWS_REGION, or give the trail's ARN")
    try:
        response = clients.cloudtrail(region).get_trail(Name=trail)
    except AWS_ERRORS as exc:
        raise TrailConfigError(f"GetTrail {trail} in {region}: {exc}") from exc
    return TrailInfo.from_trail(response["Trail"])


class PublicKeys:
    """CloudTrail's public keys by region and fingerprint, from ListPublicKeys (keys are per region)."""

    def __init__(self, clients: AwsClients) -> None:
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

    def _load(self, region: str, start: datetime, end: datetime) -> None:
        paginator = self._clients.cloudtrail(region).get_paginator("list_public_keys")
        for page in paginator.paginate(StartTime=start, EndTime=end):
            for key in page.get("PublicKeyList", []):
                if "Fingerprint" in key and "Value" in key:
                    # boto3 has already base64-decoded the blob: Value is the DER bytes.
                    self._keys[(region, key["Fingerprint"])] = key["Value"]
        self._queried.setdefault(region, []).append((start, end))
