"""The pure pairwise API (``ebtrail.verifier.integrity.pairwise``) over objects already fetched: no S3, no moto.

The signed files come from the same CloudTrail-like writer as the other integrity tests, writing into a dict.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from ebtrail.verifier.integrity import Status
from ebtrail.verifier.integrity.pairwise import (
    ChainEvent,
    DigestCheck,
    FetchedObject,
    ListedLog,
    LogHash,
    StaticPublicKeys,
    assess_continuity,
    check_digest,
    check_link,
    check_log,
)
from tests.verifier.integrity_fixtures import BASE, BUCKET, REGION, SigningKey, TrailWriter


@dataclass
class DictS3:
    """Just enough of an S3 client for :class:`TrailWriter`: objects in a dict."""

    objects: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, Metadata: dict[str, str] | None = None) -> None:  # noqa: N803 - boto3's names
        assert Bucket == BUCKET
        self.objects[Key] = (Body, dict(Metadata or {}))

    def fetched(self, key: str) -> FetchedObject:
        if key not in self.objects:
            return FetchedObject(BUCKET, key, missing=True)
        body, metadata = self.objects[key]
        return FetchedObject(BUCKET, key, body=body, metadata=metadata)


@pytest.fixture(scope="module")
def key_a() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def key_b() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def s3() -> DictS3:
    return DictS3()


@pytest.fixture
def writer(s3: DictS3, key_a: SigningKey) -> TrailWriter:
    return TrailWriter(s3=s3, key=key_a)


def keys(*signers: SigningKey) -> StaticPublicKeys:
    return StaticPublicKeys({(REGION, k.fingerprint): k.der for k in signers})


def check_all(s3: DictS3, writer: TrailWriter, public_keys: StaticPublicKeys) -> list[DigestCheck]:
    return [check_digest(s3.fetched(d.key), public_keys, default_region=REGION) for d in writer.digests]


def test_valid_chain_is_linked_and_intact(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(3)
    checks = check_all(s3, writer, keys(key_a))
    assert [c.status for c in checks] == [Status.VALID] * 3
    assert checks[0].first and checks[1].previous is not None and checks[1].previous.key == checks[0].key
    assert len(checks[2].log_files) == 2
    continuity = assess_continuity(checks)
    assert continuity.intact
    assert [f.event for f in continuity.findings] == [ChainEvent.LINKED, ChainEvent.LINKED, ChainEvent.START]
    assert (continuity.start, continuity.end) == (BASE, BASE + timedelta(hours=3))


def test_modified_digest_breaks_its_link(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(3)
    d1 = writer.digests[1]
    _body, metadata = s3.objects[d1.key]
    s3.objects[d1.key] = (gzip.compress(json.dumps(dict(d1.body, logFiles=[])).encode()), metadata)
    checks = check_all(s3, writer, keys(key_a))
    assert checks[1].status is Status.MODIFIED and "signature verification failed" in checks[1].reason
    link = check_link(checks[2], checks[1])
    assert link.status is Status.MODIFIED and "SHA-256 differs" in link.reason
    continuity = assess_continuity(checks)
    assert not continuity.intact
    assert [f.status for f in continuity.of(ChainEvent.BROKEN)] == [Status.MODIFIED]


def test_deleted_digest_is_a_missing_predecessor(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(3)
    del s3.objects[writer.digests[1].key]
    checks = check_all(s3, writer, keys(key_a))
    assert checks[1].status is Status.MISSING
    deleted = assess_continuity([checks[0], checks[2]], {(BUCKET, c.key): c for c in checks}).of(ChainEvent.DELETED)
    assert [(f.digest, f.status) for f in deleted] == [(checks[2].uri, Status.MISSING)]


def test_previous_digest_not_fetched_is_unchecked(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(2)
    checks = check_all(s3, writer, keys(key_a))
    continuity = assess_continuity(checks[1:])
    assert [f.event for f in continuity.findings] == [ChainEvent.UNCHECKED]
    assert continuity.intact


def test_key_rotation_is_information(s3: DictS3, writer: TrailWriter, key_a: SigningKey, key_b: SigningKey) -> None:
    writer.hourly_chain(1)
    writer.put_digest(BASE + timedelta(hours=1), [], previous=writer.digests[0], signer=key_b)
    checks = check_all(s3, writer, keys(key_a, key_b))
    assert [c.status for c in checks] == [Status.VALID, Status.VALID]
    continuity = assess_continuity(checks)
    assert continuity.intact
    rotation = continuity.of(ChainEvent.ROTATION)
    assert len(rotation) == 1 and key_a.fingerprint in rotation[0].message and key_b.fingerprint in rotation[0].message


def test_a_chain_that_restarts_is_a_gap(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(2)
    writer.put_digest(BASE + timedelta(hours=5), [])  # logging stopped for three hours: a new chain
    checks = check_all(s3, writer, keys(key_a))
    continuity = assess_continuity(checks)
    assert continuity.intact
    assert [f.digest for f in continuity.of(ChainEvent.GAP)] == [checks[2].uri]
    assert [f.digest for f in continuity.of(ChainEvent.START)] == [checks[0].uri]


def test_backfill_digest_is_outside_the_chain(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(2)
    late = writer.put_log(BASE + timedelta(minutes=55))
    writer.put_digest(BASE, [late], backfill_generated=BASE + timedelta(days=1))
    checks = check_all(s3, writer, keys(key_a))
    assert checks[2].status is Status.VALID and checks[2].backfill
    continuity = assess_continuity(checks)
    assert [f.digest for f in continuity.of(ChainEvent.BACKFILL)] == [checks[2].uri]
    assert not continuity.of(ChainEvent.ORPHAN)


def test_unlisted_key_unverifiable_but_authenticated_by_the_chain(
    s3: DictS3, writer: TrailWriter, key_a: SigningKey, key_b: SigningKey
) -> None:
    old = writer.put_digest(BASE, [], signer=key_b)  # key_b is no longer listed
    writer.put_digest(BASE + timedelta(hours=1), [], previous=old)
    checks = check_all(s3, writer, keys(key_a))
    assert checks[0].status is Status.UNVERIFIABLE and "public key not found" in checks[0].reason
    continuity = assess_continuity(checks)
    assert continuity.authenticated == {(BUCKET, old.key)}
    assert "authenticated through the chain" in continuity.links[0].reason


def test_the_signature_verifier_is_pluggable(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(1)
    seen: list[bytes] = []

    def refuse(der: bytes, signature: bytes, message: bytes) -> bool:
        seen.append(der)
        return False

    check = check_digest(s3.fetched(writer.digests[0].key), keys(key_a), default_region=REGION, verifier=refuse)
    assert check.status is Status.MODIFIED and seen == [key_a.der]


@pytest.mark.parametrize(
    ("fetched", "status", "reason"),
    [
        (LogHash(BUCKET, "k", sha256="ab" * 32), Status.VALID, "matches"),
        (LogHash(BUCKET, "k", sha256="cd" * 32), Status.MODIFIED, "differs"),
        (LogHash(BUCKET, "k", missing=True), Status.MISSING, "not found"),
        (LogHash(BUCKET, "k", format_error="truncated gzip stream"), Status.MODIFIED, "invalid format"),
        (LogHash(BUCKET, "k", error="AccessDenied"), Status.UNVERIFIABLE, "AccessDenied"),
    ],
)
def test_check_log(fetched: LogHash, status: Status, reason: str) -> None:
    result = check_log(ListedLog(BUCKET, "k", "ab" * 32), fetched, "s3://b/d")
    assert result.status is status and reason in result.reason and result.digest == "s3://b/d"


def test_digests_hold_no_content(s3: DictS3, writer: TrailWriter, key_a: SigningKey) -> None:
    writer.hourly_chain(1)
    check = check_all(s3, writer, keys(key_a))[0]
    assert not any(isinstance(value, bytes) for value in vars(check).values())
