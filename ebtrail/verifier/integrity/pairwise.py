"""Pairwise validation of CloudTrail digests: pure functions over objects already fetched.

A digest chain is valid pair by pair: a digest is valid when its signature verifies (SHA256withRSA over the
string to sign, with CloudTrail's public key of its region), a log file is valid when the SHA-256 of its
gzip-decoded content is the ``hashValue`` its digest lists, and the link from a digest to the previous one holds
when the previous digest's signature and SHA-256 are the ones the next digest records. None of these needs
another pair's answer, so every digest and log file can be fetched and checked in any order, in parallel or in
batches on other machines; :func:`assess_continuity` then decides the chain's continuity (deleted digests,
digests naming a missing predecessor, gaps, backfill digests, key rotation) from the pairwise results alone.

Nothing here does I/O: :mod:`ebtrail.verifier.integrity.fetch` turns S3 answers into :class:`FetchedObject` and
:class:`LogHash`; the public keys come from a :class:`PublicKeySource` (``ListPublicKeys`` behind it, or a
mapping already read, :class:`StaticPublicKeys`). RSA is done by a :data:`SignatureVerifier`, ``cryptography`` by
default (imported only when used), so a Lambda function may pass a pure-Python one.

The formats and verdicts follow aws-cli's ``validate-logs`` (``awscli/customizations/cloudtrail/validation.py``)
and the CloudTrail User Guide pages "CloudTrail digest file structure" and "Validating CloudTrail log file
integrity with the AWS CLI".
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from ebtrail.core.cloudtrail_layout import digest_key_region, digest_key_time, is_backfill_digest_key
from ebtrail.verifier.integrity.hashing import SIGNATURE_ALGORITHM, string_to_sign_from_hash
from ebtrail.verifier.integrity.keys import parse_time
from ebtrail.verifier.integrity.model import FileKind, FileResult, Status

REQUIRED_DIGEST_KEYS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)

#: ``(der_public_key, signature_bytes, message) -> valid``; raises ValueError when the key cannot be used.
SignatureVerifier = Callable[[bytes, bytes, bytes], bool]


def default_verifier(der: bytes, signature: bytes, message: bytes) -> bool:
    """SHA256withRSA with ``cryptography`` (imported here, so that this module imports without it)."""
    from ebtrail.verifier.integrity.crypto import verify_der_signature

    return verify_der_signature(der, signature, message)


class PublicKeySource(Protocol):
    """CloudTrail's public keys (``ListPublicKeys`` is per region; a key is looked up by its fingerprint within the
    time its digest was signed). :class:`ebtrail.verifier.integrity.aws.PublicKeys` is the one that calls AWS."""

    def find(self, region: str, fingerprint: str, start: datetime, end: datetime) -> bytes | None:
        """The DER bytes of the key, or None. May raise the AWS errors of the call behind it."""
        ...


@dataclass(frozen=True)
class StaticPublicKeys:
    """Keys already read: ``{(region, fingerprint): der}``. The time window is not checked again (the caller read
    ``ListPublicKeys`` for the window it needs)."""

    keys: Mapping[tuple[str, str], bytes]

    def find(self, region: str, fingerprint: str, start: datetime, end: datetime) -> bytes | None:
        return self.keys.get((region, fingerprint))


@dataclass(frozen=True)
class FetchedObject:
    """A digest object as S3 answered ``GetObject``: its stored (gzip) bytes and user metadata, or why there are
    none (``missing``: NoSuchKey; ``error``: any other failure, such as AccessDenied)."""

    bucket: str
    key: str
    body: bytes | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    missing: bool = False
    error: str | None = None


@dataclass(frozen=True)
class LogHash:
    """A log file as read from S3 and hashed while streaming: ``sha256`` of its gzip-decoded content, or why there
    is none (``missing``: NoSuchKey; ``format_error``: not one complete gzip stream; ``error``: unreadable)."""

    bucket: str
    key: str
    sha256: str | None = None
    missing: bool = False
    format_error: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ListedLog:
    """A log file a digest lists, with the ``hashValue`` (hex SHA-256 of its uncompressed content) it records."""

    bucket: str
    key: str
    hash_value: str


@dataclass(frozen=True)
class PreviousRef:
    """The previous digest as the next one records it (inside its signed content)."""

    bucket: str
    key: str
    signature: str
    hash_value: str | None


@dataclass(frozen=True)
class DigestCheck:
    """The pairwise verdict on one digest file and what it says (its content fields are filled whenever its JSON
    could be read, valid or not; only :attr:`trusted` content is to be relied on). Holds no file content, so a
    run's memory does not grow with the size of the digests it has checked."""

    bucket: str
    key: str
    status: Status
    reason: str
    signature: str | None = None
    """The ``signature`` object metadata (hex)."""
    inflated_sha256: str | None = None
    """SHA-256 of the uncompressed digest; None when it is not a gzip JSON object."""
    object_sha256: str | None = None
    """SHA-256 of the stored (gzip) object, to accept either reading of ``previousDigestHashValue``."""
    fingerprint: str | None = None
    region: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    first: bool = False
    """``previousDigestSignature`` is null: the first digest of a chain."""
    previous: PreviousRef | None = None
    log_files: tuple[ListedLog, ...] = ()

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def backfill(self) -> bool:
        return is_backfill_digest_key(self.key)

    @property
    def parsed(self) -> bool:
        return self.inflated_sha256 is not None

    @property
    def signature_valid(self) -> bool:
        return self.status is Status.VALID

    @property
    def trusted(self) -> bool:
        """Its content (log hashes, previous-digest pointer) can be relied on on its own."""
        return self.status is Status.VALID and self.parsed

    def hash_of(self, bucket: str, key: str) -> str | None:
        """The ``hashValue`` this digest lists for a log file, or None if it does not list it."""
        for entry in self.log_files:
            if entry.bucket == bucket and entry.key == key:
                return entry.hash_value
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


class _VerdictError(Exception):
    """Raised by a stage of :func:`check_digest` that decides the digest's status: the check ends with it."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_digest(
    fetched: FetchedObject,
    public_keys: PublicKeySource,
    *,
    default_region: str,
    verifier: SignatureVerifier = default_verifier,
    aws_errors: tuple[type[Exception], ...] = (),
) -> DigestCheck:
    """Check one digest on its own: gzip JSON, signature metadata, required fields, original location, the public
    key (by fingerprint, in the digest's region, ``default_region`` for a key without one) and its signature.

    ``aws_errors`` raised by ``public_keys`` make the digest unverifiable (anything else propagates). Each stage
    below decides the verdict when it fails; the content fields are filled once the JSON could be read.
    """
    found: dict[str, Any] = {}
    try:
        inflated, data = _inflate(fetched)
        inflated_sha256 = hashlib.sha256(inflated).hexdigest()
        del inflated  # only its hash is kept
        found = _content(data, fetched.key, default_region) | {
            "signature": fetched.metadata.get("signature"),
            "inflated_sha256": inflated_sha256,
            "object_sha256": hashlib.sha256(fetched.body or b"").hexdigest(),
        }
        _check_format(fetched, data)
        fingerprint, region = str(data["digestPublicKeyFingerprint"]), found["region"]
        der = _public_key(public_keys, fetched, data, region, aws_errors)
        _check_signature(verifier, der, data, signature=fetched.metadata["signature"], inflated_sha256=inflated_sha256)
        status, reason = Status.VALID, f"signature verified (key {fingerprint}, {region})"
    except _VerdictError as verdict:
        status, reason = verdict.status, verdict.reason
    return DigestCheck(bucket=fetched.bucket, key=fetched.key, status=status, reason=reason, **found)


def _inflate(fetched: FetchedObject) -> tuple[bytes, dict[str, Any]]:
    """The digest's bytes and JSON object: a digest that is gone, unreadable or not gzip JSON is decided here."""
    if fetched.missing:
        raise _VerdictError(Status.MISSING, "not found in S3 (deleted?)")
    if fetched.body is None:
        raise _VerdictError(Status.UNVERIFIABLE, f"cannot read it: {fetched.error or 'no content'}")
    try:
        inflated = zlib.decompress(fetched.body, zlib.MAX_WBITS | 16)
        data = json.loads(inflated.decode())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (zlib.error, ValueError) as exc:
        raise _VerdictError(Status.MODIFIED, f"invalid format: not a gzip-compressed JSON digest ({exc})") from exc
    return inflated, data


def _check_format(fetched: FetchedObject, data: Mapping[str, Any]) -> None:
    """The signature metadata, the required fields and the digest's own location, as aws-cli checks them before
    it looks for a key: a digest copied elsewhere, or stripped of its signature, is modified."""
    metadata = fetched.metadata
    if not metadata.get("signature") or "signature-algorithm" not in metadata:
        raise _VerdictError(Status.MODIFIED, "signature or signature-algorithm metadata is missing")
    if metadata["signature-algorithm"] != SIGNATURE_ALGORITHM:
        raise _VerdictError(Status.UNVERIFIABLE, f"unsupported signature algorithm {metadata['signature-algorithm']!r}")
    missing = [k for k in REQUIRED_DIGEST_KEYS if k not in data]
    if missing:
        raise _VerdictError(Status.MODIFIED, f"invalid format: no {', '.join(missing)}")
    if data["digestS3Bucket"] != fetched.bucket or data["digestS3Object"] != fetched.key:
        where = f"s3://{data['digestS3Bucket']}/{data['digestS3Object']}"
        raise _VerdictError(Status.MODIFIED, f"has been moved from its original location {where}")


def _public_key(
    public_keys: PublicKeySource,
    fetched: FetchedObject,
    data: Mapping[str, Any],
    region: str,
    aws_errors: tuple[type[Exception], ...],
) -> bytes:
    """CloudTrail's public key that signed the digest (by fingerprint, within the time it was in use): without it
    the digest is unverifiable, not modified (the key may be out of reach, not wrong)."""
    key_window = key_lookup_window(fetched.key, data, fetched.metadata)
    if isinstance(key_window, str):
        raise _VerdictError(Status.MODIFIED, key_window)
    fingerprint = str(data["digestPublicKeyFingerprint"])
    try:
        der = public_keys.find(region, fingerprint, *key_window)
    except aws_errors as exc:
        raise _VerdictError(Status.UNVERIFIABLE, f"ListPublicKeys in {region} failed: {exc}") from exc
    if der is None:
        raise _VerdictError(
            Status.UNVERIFIABLE, f"public key not found in region {region} for fingerprint {fingerprint}"
        )
    return der


def _check_signature(
    verifier: SignatureVerifier,
    der: bytes,
    data: Mapping[str, Any],
    *,
    signature: str,
    inflated_sha256: str,
) -> None:
    """SHA256withRSA over the string to sign: a signature that does not verify means content or metadata changed."""
    try:
        signature_bytes = bytes.fromhex(signature)
    except ValueError as exc:
        raise _VerdictError(Status.MODIFIED, "signature metadata is not hex") from exc
    try:
        signed = verifier(der, signature_bytes, string_to_sign_from_hash(data, inflated_sha256))
    except ValueError as exc:
        fingerprint = data["digestPublicKeyFingerprint"]
        raise _VerdictError(Status.UNVERIFIABLE, f"cannot load public key {fingerprint}: {exc}") from exc
    if not signed:
        raise _VerdictError(Status.MODIFIED, "signature verification failed (content or metadata changed)")


def _content(data: Mapping[str, Any], key: str, default_region: str) -> dict[str, Any]:
    """What a digest says, read defensively (it may be forged): times, key, previous digest, log files."""

    def when(name: str) -> datetime | None:
        value = data.get(name)
        try:
            return parse_time(value) if isinstance(value, str) else None
        except ValueError:
            return None

    previous_signature = data.get("previousDigestSignature")
    previous_bucket, previous_key = data.get("previousDigestS3Bucket"), data.get("previousDigestS3Object")
    previous = None
    if previous_signature is not None and previous_bucket and previous_key:
        hash_value = data.get("previousDigestHashValue")
        previous = PreviousRef(
            bucket=str(previous_bucket),
            key=str(previous_key),
            signature=str(previous_signature),
            hash_value=None if hash_value is None else str(hash_value).lower(),
        )
    files = data.get("logFiles") or []
    listed = tuple(
        ListedLog(bucket=str(f["s3Bucket"]), key=str(f["s3Object"]), hash_value=str(f.get("hashValue", "")).lower())
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, dict) and "s3Bucket" in f and "s3Object" in f
    )
    fingerprint = data.get("digestPublicKeyFingerprint")
    return {
        "fingerprint": None if fingerprint is None else str(fingerprint),
        "region": digest_key_region(key) or default_region,
        "start": when("digestStartTime"),
        "end": when("digestEndTime"),
        "first": "previousDigestSignature" in data and previous_signature is None,
        "previous": previous,
        "log_files": listed,
    }


def key_lookup_window(
    key: str, data: Mapping[str, Any], metadata: Mapping[str, str]
) -> tuple[datetime, datetime] | str:
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


@dataclass(frozen=True)
class LinkCheck:
    """The previous digest as seen from the next one: its own verdict combined with the chain link check."""

    digest: DigestCheck
    """The next digest (the one that names the previous)."""
    previous: DigestCheck
    status: Status
    reason: str


def link_note(digest: DigestCheck) -> str | None:
    """Why ``digest`` has no previous digest to check (first of its chain, names none), or None if it names one."""
    if digest.first:
        return "first digest of its chain (previousDigestSignature is null)"
    if digest.previous is None:
        return "names no previous digest file"
    return None


def check_link(digest: DigestCheck, previous: DigestCheck) -> LinkCheck:  # noqa: PLR0911 - one return per verdict
    """Check the link from ``digest`` to ``previous``, the checked digest at ``digest.previous``.

    The link (``previousDigestSignature``, ``previousDigestHashValue``) is inside the next digest's signed content,
    so a previous digest whose own key is no longer listed (``UNVERIFIABLE``) is authenticated by a valid next one.
    """
    ref = digest.previous
    if ref is None:
        raise ValueError(f"{digest.uri} names no previous digest: see link_note()")

    def link(status: Status, reason: str) -> LinkCheck:
        return LinkCheck(digest=digest, previous=previous, status=status, reason=reason)

    if previous.status is Status.MISSING:
        return link(Status.MISSING, f"chain broken: deleted, but {digest.key} names it as previous digest")
    if not previous.parsed:
        return link(previous.status, f"chain broken: {previous.reason}")
    signature_ok = (previous.signature or "").lower() == ref.signature.lower()
    # Documented as the SHA-256 of the previous digest's uncompressed content; aws-cli does not check it, so the
    # hash of the stored gzip object is accepted too rather than risk a false alarm.
    actual_hashes = {previous.inflated_sha256, previous.object_sha256}
    hash_ok = ref.hash_value is None or ref.hash_value in actual_hashes
    if not signature_ok:
        return link(Status.MODIFIED, f"chain broken: signature differs from the one {digest.key} links to")
    if not hash_ok:
        return link(Status.MODIFIED, f"chain broken: SHA-256 differs from the one {digest.key} links to")
    if previous.status is Status.UNVERIFIABLE and ref.hash_value is not None:
        return link(Status.VALID, f"authenticated through the chain by {digest.key} ({previous.reason})")
    if previous.status is Status.VALID:
        return link(Status.VALID, previous.reason)
    return link(previous.status, f"chain broken: {previous.reason}")


def check_log(listed: ListedLog, fetched: LogHash, digest_uri: str) -> FileResult:
    """The verdict on a log file a trusted digest lists, from its streamed hash."""

    def result(status: Status, reason: str) -> FileResult:
        return FileResult(FileKind.LOG, listed.bucket, listed.key, status, reason, digest=digest_uri)

    if fetched.missing:
        return result(Status.MISSING, "listed in its digest but not found in S3 (deleted?)")
    if fetched.error is not None:
        return result(Status.UNVERIFIABLE, f"cannot read it: {fetched.error}")
    if fetched.format_error is not None:
        return result(Status.MODIFIED, f"invalid format: {fetched.format_error}")
    actual = fetched.sha256 or ""
    if actual == listed.hash_value:
        return result(Status.VALID, "SHA-256 of the uncompressed content matches its digest")
    return result(Status.MODIFIED, f"SHA-256 {actual[:16]}... differs from the digest's hashValue {listed.hash_value}")


# --- continuity --------------------------------------------------------------------------------------------------


class ChainEvent(StrEnum):
    """What :func:`assess_continuity` found between two digests (or at one)."""

    LINKED = "linked"
    """The previous digest is the one the next digest signed into its link."""
    START = "start"
    """The first digest of a chain (``previousDigestSignature`` null): validation or logging was (re)started."""
    GAP = "gap"
    """A chain starts while older digests of the same folder are in the range: CloudTrail wrote no digest for a
    while (logging stopped or validation off; the User Guide: "the chain of digest files is broken after one hour").
    aws-cli reports it as "No log files were delivered by CloudTrail between ..."; not a failure."""
    DELETED = "deleted"
    """A digest names a previous digest that S3 does not have: a deleted digest (a failure, MISSING)."""
    BROKEN = "broken"
    """The previous digest is not the one the next digest signed into its link (a failure, MODIFIED)."""
    UNCHECKED = "unchecked"
    """The previous digest was not fetched (before the range asked for)."""
    ROTATION = "rotation"
    """The previous digest was signed with another public key: CloudTrail rotated its key; the link holds."""
    BACKFILL = "backfill"
    """A backfill digest: outside the hourly chain, valid on its own signature."""
    TIME_GAP = "time-gap"
    """Linked digests whose periods do not meet (the previous one ends before the next one starts)."""
    ORPHAN = "orphan"
    """A (non-backfill) digest that no later digest of the range links to, although a later one exists."""


@dataclass(frozen=True)
class ChainFinding:
    event: ChainEvent
    digest: str
    """``s3://`` URI of the digest the finding is about (for a link: the next digest)."""
    status: Status | None
    """The verdict it implies for the previous digest (links), or None for information."""
    message: str


@dataclass
class ChainContinuity:
    """The continuity of one chain (one account and region folder of a trail) over a range."""

    findings: list[ChainFinding] = field(default_factory=list)
    links: list[LinkCheck] = field(default_factory=list)
    authenticated: set[tuple[str, str]] = field(default_factory=set)
    """Digests not verifiable on their own (key no longer listed) that a valid next digest vouches for."""
    start: datetime | None = None
    end: datetime | None = None
    """The period the trusted digests of the chain cover."""

    @property
    def intact(self) -> bool:
        """No deleted or replaced digest was found."""
        return not any(f.status in (Status.MISSING, Status.MODIFIED) for f in self.findings)

    def of(self, event: ChainEvent) -> list[ChainFinding]:
        return [f for f in self.findings if f.event is event]


def assess_continuity(
    digests: Sequence[DigestCheck], checked: Mapping[tuple[str, str], DigestCheck] | None = None
) -> ChainContinuity:
    """Decide a chain's continuity from pairwise results.

    ``digests`` are the checked digests of one folder in a range (any order); ``checked`` has every digest that
    was fetched by (bucket, key), including previous digests before the range (``digests`` is used when None).
    Each link of a digest whose content can be relied on is checked with :func:`check_link`; a previous digest
    that was not fetched is ``UNCHECKED``. Gaps, orphans and rotations are information; deleted (MISSING) and
    replaced (MODIFIED) previous digests are failures, carried in ``finding.status`` and :attr:`links`.
    """
    by_key = dict(checked) if checked is not None else {}
    for digest in digests:
        by_key.setdefault((digest.bucket, digest.key), digest)
    out = ChainContinuity()
    hourly = sorted((d for d in digests if not d.backfill), key=_order, reverse=True)  # newest first
    linked_to: set[tuple[str, str]] = set()
    oldest = min((d.start for d in hourly if d.start is not None), default=None)
    for digest in hourly:
        trusted = digest.trusted or (digest.bucket, digest.key) in out.authenticated
        if not trusted:
            continue
        out.start = min(out.start, digest.start) if out.start and digest.start else (out.start or digest.start)
        out.end = max(out.end, digest.end) if out.end and digest.end else (out.end or digest.end)
        note = link_note(digest)
        if note is not None:
            older = digest.start is not None and oldest is not None and oldest < digest.start
            event = ChainEvent.GAP if older else ChainEvent.START
            message = (
                f"{note}: no digest before it links to it; CloudTrail wrote no digests for a while "
                "(logging stopped or log file validation off)"
                if older
                else note
            )
            out.findings.append(ChainFinding(event, digest.uri, None, message))
            continue
        ref = digest.previous
        assert ref is not None
        linked_to.add((ref.bucket, ref.key))
        previous = by_key.get((ref.bucket, ref.key))
        if previous is None:
            out.findings.append(
                ChainFinding(ChainEvent.UNCHECKED, digest.uri, None, f"previous digest s3://{ref.bucket}/{ref.key}")
            )
            continue
        link = check_link(digest, previous)
        out.links.append(link)
        if link.status is Status.VALID and not previous.trusted:
            out.authenticated.add((previous.bucket, previous.key))
        out.findings.extend(_link_findings(link))
    newest = max((_order(d) for d in hourly), default=None)
    for digest in hourly:
        if (digest.bucket, digest.key) not in linked_to and _order(digest) != newest and digest.parsed:
            out.findings.append(
                ChainFinding(ChainEvent.ORPHAN, digest.uri, None, "no later digest of the range links to it")
            )
    for digest in digests:
        if digest.backfill and digest.trusted:
            out.findings.append(
                ChainFinding(ChainEvent.BACKFILL, digest.uri, None, "backfill digest: valid on its own signature")
            )
    return out


def _link_findings(link: LinkCheck) -> Iterable[ChainFinding]:
    digest, previous = link.digest, link.previous
    if link.status is Status.MISSING:
        yield ChainFinding(ChainEvent.DELETED, digest.uri, Status.MISSING, f"{previous.uri}: {link.reason}")
        return
    if link.status is not Status.VALID:
        yield ChainFinding(ChainEvent.BROKEN, digest.uri, link.status, f"{previous.uri}: {link.reason}")
        return
    yield ChainFinding(ChainEvent.LINKED, digest.uri, Status.VALID, previous.uri)
    if previous.fingerprint and digest.fingerprint and previous.fingerprint != digest.fingerprint:
        yield ChainFinding(
            ChainEvent.ROTATION,
            digest.uri,
            None,
            f"signed with key {digest.fingerprint}, the previous digest with {previous.fingerprint}: "
            "CloudTrail rotated its key; the link holds",
        )
    if previous.end and digest.start and digest.start - previous.end > timedelta(minutes=5):
        yield ChainFinding(
            ChainEvent.TIME_GAP,
            digest.uri,
            None,
            f"the previous digest ends {previous.end:%Y-%m-%dT%H:%M:%SZ}, this one starts "
            f"{digest.start:%Y-%m-%dT%H:%M:%SZ}",
        )


def _order(digest: DigestCheck) -> tuple[datetime, str]:
    """Sort key: the time in the digest's key (its ``digestEndTime``), then the key."""
    when = digest_key_time(digest.key) or digest.end or datetime.min.replace(tzinfo=None)
    return (when.replace(tzinfo=None), digest.key)
