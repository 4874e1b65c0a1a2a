"""Test doubles for the integrity check: a CloudTrail-like writer of signed log and digest files into (moto) S3,
and a ListPublicKeys stub. Formats are written out here independently of ebtrail.verifier.integrity's own key builders.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import Stubber
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ebtrail.verifier.aws import Clients

ACCOUNT = "123456789012"
MEMBER_ACCOUNT = "210987654321"
ORG_ID = "o-a1b2c3d4e5"
REGION = "us-east-1"
TRAIL = "ebtrail"
BUCKET = "ebtrail-logs"
PREFIX = "archive"
BASE = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey
    der: bytes  # PKCS#1 RSAPublicKey, as aws-cli's rsa.PublicKey.load_pkcs1(..., format="DER") reads it
    fingerprint: str

    @classmethod
    def generate(cls) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        return cls(private=private, der=der, fingerprint=hashlib.md5(der, usedforsecurity=False).hexdigest())

    def sign_hex(self, message: bytes) -> str:
        return self.private.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Digest:
    key: str
    signature: str
    body: dict[str, Any]
    inflated: bytes


@dataclass
class TrailWriter:
    """Writes log files and hourly digests the way CloudTrail does, for one account and region."""

    s3: Any
    key: SigningKey
    bucket: str = BUCKET
    prefix: str | None = PREFIX
    account: str = ACCOUNT
    org_id: str | None = None
    region: str = REGION
    trail: str = TRAIL
    home_region: str = REGION
    digests: list[Digest] = field(default_factory=list)
    _serial: int = 0

    def _base(self) -> str:
        parts = [p for p in (self.prefix, "AWSLogs", self.org_id, self.account) if p]
        return "/".join(parts)

    def put_log(self, delivered: datetime, records: list[dict[str, Any]] | None = None) -> tuple[str, str]:
        """Write a log file delivered at ``delivered``; returns (key, hex SHA-256 of the uncompressed content)."""
        self._serial += 1
        content = json.dumps({"Records": records or [{"eventID": f"e{self._serial}"}]}).encode()
        key = (
            f"{self._base()}/CloudTrail/{self.region}/{delivered:%Y/%m/%d}/{self.account}_CloudTrail_{self.region}_"
            f"{delivered:%Y%m%dT%H%MZ}_{self._serial:016d}.json.gz"
        )
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(content))
        return key, hashlib.sha256(content).hexdigest()

    def digest_key(self, written: datetime, backfill: bool = False) -> str:
        return (
            f"{self._base()}/CloudTrail-Digest/{self.region}/{written:%Y/%m/%d}/{self.account}_CloudTrail-Digest_"
            f"{self.region}_{self.trail}_{self.home_region}_{written:%Y%m%dT%H%M%SZ}"
            f"{'_backfill' if backfill else ''}.json.gz"
        )

    def put_digest(
        self,
        start: datetime,
        logs: list[tuple[str, str]],
        *,
        previous: Digest | None = None,
        backfill_generated: datetime | None = None,
        signer: SigningKey | None = None,
    ) -> Digest:
        """Write the digest of [start, start + 1h) listing ``logs``, chained to ``previous`` (None: first digest)."""
        end = start + timedelta(hours=1)
        signer = signer or self.key
        key = self.digest_key(end, backfill=backfill_generated is not None)  # the key carries digestEndTime
        body: dict[str, Any] = {
            "awsAccountId": self.account,
            "digestStartTime": iso(start),
            "digestEndTime": iso(end),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": signer.fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": iso(end),
            "oldestEventTime": iso(start),
            "previousDigestS3Bucket": self.bucket if previous else None,
            "previousDigestS3Object": previous.key if previous else None,
            "previousDigestHashValue": hashlib.sha256(previous.inflated).hexdigest() if previous else None,
            "previousDigestHashAlgorithm": "SHA-256",
            "previousDigestSignature": previous.signature if previous else None,
            "logFiles": [
                {"s3Bucket": self.bucket, "s3Object": k, "hashValue": h, "hashAlgorithm": "SHA-256"} for k, h in logs
            ],
        }
        inflated = json.dumps(body).encode()
        # The documented string to sign, written out independently of ebtrail.verifier.integrity.crypto.
        previous_signature = previous.signature if previous else "null"
        to_sign = f"{iso(end)}\n{self.bucket}/{key}\n{hashlib.sha256(inflated).hexdigest()}\n{previous_signature}"
        signature = signer.sign_hex(to_sign.encode())
        metadata = {"signature": signature, "signature-algorithm": "SHA256withRSA"}
        if backfill_generated is not None:
            metadata["backfill-generation-timestamp"] = iso(backfill_generated)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(inflated), Metadata=metadata)
        digest = Digest(key=key, signature=signature, body=body, inflated=inflated)
        self.digests.append(digest)
        return digest

    def hourly_chain(self, hours: int, logs_per_hour: int = 2) -> list[list[tuple[str, str]]]:
        """``hours`` hourly periods from BASE, each with log files and a digest chained to the previous one."""
        periods: list[list[tuple[str, str]]] = []
        previous: Digest | None = None
        for hour in range(hours):
            start = BASE + timedelta(hours=hour)
            logs = [self.put_log(start + timedelta(minutes=5 + 20 * i)) for i in range(logs_per_hour)]
            previous = self.put_digest(start, logs, previous=previous)
            periods.append(logs)
        return periods


class StubbedClients(Clients):
    """Real (moto) S3; a botocore-Stubber'd CloudTrail client per region (moto has no ListPublicKeys)."""

    def __init__(self, session: boto3.Session, region: str = REGION) -> None:
        super().__init__(session, region)
        self.stubbers: dict[str, Stubber] = {}

    def cloudtrail(self, region: str | None = None) -> Any:
        region = region or self.region
        client = super().cloudtrail(region)
        if region not in self.stubbers:
            self.stubbers[region] = Stubber(client)
            self.stubbers[region].activate()
        return client

    def stub(self, region: str = REGION) -> Stubber:
        self.cloudtrail(region)
        return self.stubbers[region]

    def add_public_keys(self, *keys: SigningKey, region: str = REGION) -> None:
        """Queue one ListPublicKeys answer listing ``keys``."""
        self.stub(region).add_response(
            "list_public_keys",
            {
                "PublicKeyList": [
                    {
                        "Value": k.der,
                        "Fingerprint": k.fingerprint,
                        "ValidityStartTime": BASE - timedelta(days=30),
                        "ValidityEndTime": BASE + timedelta(days=30),
                    }
                    for k in keys
                ]
            },
        )

    def add_trail(self, *, bucket: str = BUCKET, prefix: str | None = PREFIX, org: bool = False) -> None:
        """Queue one GetTrail answer."""
        trail: dict[str, Any] = {
            "Name": TRAIL,
            "S3BucketName": bucket,
            "HomeRegion": REGION,
            "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}",
            "IsOrganizationTrail": org,
            "LogFileValidationEnabled": True,
        }
        if prefix:
            trail["S3KeyPrefix"] = prefix
        self.stub(REGION).add_response("get_trail", {"Trail": trail})
