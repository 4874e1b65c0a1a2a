"""Loading and checking one digest file, and the link from a digest to the previous one in its chain.

Follows aws-cli's ``validate-logs`` (``awscli/customizations/cloudtrail/validation.py``): gzip JSON content,
``signature``/``signature-algorithm`` object metadata, required fields, original location, public key by
fingerprint from ListPublicKeys in the digest's region, SHA256withRSA over the string to sign.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ebtrail.verifier.aws import AWS_ERRORS
from ebtrail.verifier.integrity.aws import PublicKeys
from ebtrail.verifier.integrity.crypto import SIGNATURE_ALGORITHM, load_public_key, string_to_sign, verify_signature
from ebtrail.verifier.integrity.keys import digest_key_region, is_backfill_digest_key, parse_time
from ebtrail.verifier.integrity.model import FileKind, FileResult, Status

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REQUIRED_DIGEST_KEYS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


@dataclass
class CheckedDigest:
    """A digest file and the verdict on it. ``data`` is its JSON when it could be parsed (even if not valid)."""

    bucket: str
    key: str
    status: Status
    reason: str
    data: dict[str, Any] | None = None
    inflated: bytes | None = None
    signature: str | None = None
    object_sha256: str | None = None
    """SHA-256 of the stored (gzip) object, to accept either reading of ``previousDigestHashValue``."""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def backfill(self) -> bool:
        return is_backfill_digest_key(self.key)

    @property
    def trusted(self) -> bool:
        """Its content (log hashes, previous-digest pointers) can be relied on."""
        return self.status is Status.VALID and self.data is not None

    def time(self, field: str) -> datetime | None:
        value = (self.data or {}).get(field)
        try:
            return parse_time(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def log_files(self) -> list[dict[str, Any]]:
        files = (self.data or {}).get("logFiles") or []
        return [f for f in files if isinstance(f, dict) and "s3Bucket" in f and "s3Object" in f]

    def hash_of(self, bucket: str, key: str) -> str | None:
        """The ``hashValue`` this digest lists for a log file, or None if it does not list it."""
        for entry in self.log_files():
            if entry["s3Bucket"] == bucket and entry["s3Object"] == key:
                return str(entry.get("hashValue", "")).lower()
        return None

    def result(self, status: Status | None = None, reason: str | None = None) -> FileResult:
        return FileResult(
            kind=FileKind.DIGEST,
            bucket=self.bucket,
            key=self.key,
            status=status or self.status,
            reason=reason or self.reason,
            backfill=self.backfill,
        )


@dataclass
class Link:
    """The previous digest as seen from the next one: its own verdict combined with the chain link check."""

    previous: CheckedDigest | None
    status: Status
    reason: str


class DigestChecker:
    """Checks digest files (each at most once)."""

    def __init__(self, s3: S3Client, public_keys: PublicKeys, default_region: str) -> None:
        self._s3 = s3
        self._public_keys = public_keys
        self._default_region = default_region
        self._cache: dict[tuple[str, str], CheckedDigest] = {}

    def check(self, bucket: str, key: str) -> CheckedDigest:
        if (bucket, key) not in self._cache:
            self._cache[(bucket, key)] = self._check(bucket, key)
        return self._cache[(bucket, key)]

    def _check(self, bucket: str, key: str) -> CheckedDigest:  # noqa: PLR0911 - one return per verdict
        def verdict(status: Status, reason: str, **kwargs: Any) -> CheckedDigest:
            return CheckedDigest(bucket=bucket, key=key, status=status, reason=reason, **kwargs)

        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
            body = response["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                return verdict(Status.MISSING, "not found in S3 (deleted?)")
            return verdict(Status.UNVERIFIABLE, f"cannot read it: {code or exc}")
        except BotoCoreError as exc:
            return verdict(Status.UNVERIFIABLE, f"cannot read it: {exc}")
        try:
            inflated = zlib.decompress(body, zlib.MAX_WBITS | 16)
            data = json.loads(inflated.decode())
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (zlib.error, ValueError) as exc:
            return verdict(Status.MODIFIED, f"invalid format: not a gzip-compressed JSON digest ({exc})")
        metadata = response.get("Metadata", {})
        signature = metadata.get("signature")
        found = {
            "data": data,
            "inflated": inflated,
            "signature": signature,
            "object_sha256": hashlib.sha256(body).hexdigest(),
        }
        if not signature or "signature-algorithm" not in metadata:
            return verdict(Status.MODIFIED, "signature or signature-algorithm metadata is missing", **found)
        if metadata["signature-algorithm"] != SIGNATURE_ALGORITHM:
            return verdict(
                Status.UNVERIFIABLE, f"unsupported signature algorithm {metadata['signature-algorithm']!r}", **found
            )
        missing = [k for k in REQUIRED_DIGEST_KEYS if k not in data]
        if missing:
            return verdict(Status.MODIFIED, f"invalid format: no {', '.join(missing)}", **found)
        if data["digestS3Bucket"] != bucket or data["digestS3Object"] != key:
            where = f"s3://{data['digestS3Bucket']}/{data['digestS3Object']}"
            return verdict(Status.MODIFIED, f"has been moved from its original location {where}", **found)
        key_window = self._key_window(key, data, metadata)
        if isinstance(key_window, str):
            return verdict(Status.MODIFIED, key_window, **found)
        fingerprint = str(data["digestPublicKeyFingerprint"])
        region = digest_key_region(key) or self._default_region
        try:
            der = self._public_keys.find(region, fingerprint, *key_window)
        except AWS_ERRORS as exc:
            return verdict(Status.UNVERIFIABLE, f"ListPublicKeys in {region} failed: {exc}", **found)
        if der is None:
            return verdict(
                Status.UNVERIFIABLE,
                f"public key not found in region {region} for fingerprint {fingerprint}",
                **found,
            )
        try:
            public_key = load_public_key(der)
        except ValueError as exc:
            return verdict(Status.UNVERIFIABLE, f"cannot load public key {fingerprint}: {exc}", **found)
        try:
            signed = verify_signature(public_key, signature, string_to_sign(data, inflated))
        except ValueError:
            return verdict(Status.MODIFIED, "signature metadata is not hex", **found)
        if not signed:
            return verdict(Status.MODIFIED, "signature verification failed (content or metadata changed)", **found)
        return verdict(Status.VALID, f"signature verified (key {fingerprint}, {region})", **found)

    @staticmethod
    def _key_window(key: str, data: dict[str, Any], metadata: dict[str, str]) -> tuple[datetime, datetime] | str:
        """When the signing key was in use, as aws-cli looks it up; an error text when the digest does not say."""
        if is_backfill_digest_key(key):
            # aws-cli: a backfill digest must carry backfill-generation-timestamp; its key is looked up +-1 hour.
            try:
                generated = parse_time(metadata["backfill-generation-timestamp"])
            except KeyError:
                return "invalid format: backfill digest without backfill-generation-timestamp metadata"
            except ValueError:
                return "invalid format: backfill-generation-timestamp metadata is not a time"
            return generated - timedelta(hours=1), generated + timedelta(hours=1)
        try:
            start, end = parse_time(str(data["digestStartTime"])), parse_time(str(data["digestEndTime"]))
        except ValueError:
            return "invalid format: digestStartTime/digestEndTime is not a time"
        return start, end


def previous_link(checker: DigestChecker, digest: CheckedDigest) -> Link | str:  # noqa: PLR0911
    """Check the digest before ``digest`` in its chain; a note (str) when there is none to check."""
    data = digest.data or {}
    previous_signature = data.get("previousDigestSignature")
    if previous_signature is None:
        return "first digest of its chain (previousDigestSignature is null)"
    bucket, key = data.get("previousDigestS3Bucket"), data.get("previousDigestS3Object")
    if not bucket or not key:
        return "names no previous digest file"
    previous = checker.check(str(bucket), str(key))
    if previous.status is Status.MISSING:
        return Link(previous, Status.MISSING, f"chain broken: deleted, but {digest.key} names it as previous digest")
    if previous.inflated is None:
        return Link(previous, previous.status, f"chain broken: {previous.reason}")
    signature_ok = (previous.signature or "").lower() == str(previous_signature).lower()
    expected_hash = data.get("previousDigestHashValue")
    # Documented as the SHA-256 of the previous digest's uncompressed content; aws-cli does not check it, so the
    # hash of the stored gzip object is accepted too rather than risk a false alarm.
    actual_hashes = {hashlib.sha256(previous.inflated).hexdigest(), previous.object_sha256}
    hash_ok = expected_hash is None or str(expected_hash).lower() in actual_hashes
    # The link (previousDigestSignature, previousDigestHashValue) is inside the next digest's signed content.
    if not signature_ok:
        return Link(previous, Status.MODIFIED, f"chain broken: signature differs from the one {digest.key} links to")
    if not hash_ok:
        return Link(previous, Status.MODIFIED, f"chain broken: SHA-256 differs from the one {digest.key} links to")
    if previous.status is Status.UNVERIFIABLE and expected_hash is not None:
        return Link(previous, Status.VALID, f"authenticated through the chain by {digest.key} ({previous.reason})")
    if previous.status is Status.VALID:
        return Link(previous, Status.VALID, previous.reason)
    return Link(previous, previous.status, f"chain broken: {previous.reason}")
