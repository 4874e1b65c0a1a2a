"""ebtrail.verifier.integrity against signed digest chains written into moto S3 (ListPublicKeys stubbed)."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from ebtrail.core.cloudtrail_layout import digest_key_time, key_prefix
from ebtrail.verifier.integrity import ExitCode, FileKind, IntegrityReport, Status, TrailInfo, verify_integrity
from ebtrail.verifier.integrity.crypto import load_public_key, string_to_sign, verify_signature
from ebtrail.verifier.integrity.keys import parse_log_key
from tests.verifier.integrity_fixtures import (
    ACCOUNT,
    BASE,
    BUCKET,
    MEMBER_ACCOUNT,
    ORG_ID,
    PREFIX,
    REGION,
    TRAIL,
    SigningKey,
    StubbedClients,
    TrailWriter,
)
from tests.verifier.verify_double import FakeClock

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
TRAIL_INFO = TrailInfo.from_arn(TRAIL_ARN, bucket=BUCKET, prefix=PREFIX)
LATER = BASE + timedelta(days=1)


class NoWaitClock(FakeClock):
    """The verifier's fake clock, for a check that must not wait."""

    def sleep(self, seconds: float) -> None:
        raise AssertionError(f"unexpected sleep({seconds})")


@pytest.fixture(scope="module")
def attacker_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def session(moto: None) -> boto3.Session:
    """conftest's moto session (fake credentials, no endpoint or profile), with the trail's bucket."""
    session = boto3.Session(region_name=REGION)
    session.client("s3").create_bucket(Bucket=BUCKET)
    return session


@pytest.fixture
def clients(session: boto3.Session, signing_key: SigningKey) -> StubbedClients:
    clients = StubbedClients(session)
    clients.add_public_keys(signing_key)
    return clients


@pytest.fixture
def writer(s3: Any, signing_key: SigningKey) -> TrailWriter:
    return TrailWriter(s3=s3, key=signing_key)


def run(
    session: boto3.Session, clients: StubbedClients, trail: TrailInfo = TRAIL_INFO, **kwargs: Any
) -> IntegrityReport:
    kwargs.setdefault("clock", NoWaitClock(LATER))
    report = verify_integrity(session, trail, clients=clients, **kwargs)
    json.loads(report.to_json())  # always serializable
    return report


def statuses(report: IntegrityReport) -> dict[str, Status]:
    return {f.key: f.status for f in report.files}


def reason(report: IntegrityReport, key: str) -> str:
    return next(f.reason for f in report.files if f.key == key)


def rewrite(s3: Any, key: str, content: bytes, **extra: Any) -> None:
    """Replace an object's body, keeping its metadata (as someone editing a file in place would)."""
    metadata = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(content), Metadata=metadata, **extra)


# --- the documented formats -----------------------------------------------------------------------------------


def test_crypto_matches_the_fixture_signer(signing_key: SigningKey) -> None:
    digest = {
        "digestEndTime": "2026-11-20T11:00:00Z",
        "digestS3Bucket": "b",
        "digestS3Object": "k.json.gz",
        "previousDigestSignature": None,
    }
    message = string_to_sign(digest, b"{}")
    assert message.endswith(b"\nnull")
    assert message.startswith(b"2026-11-20T11:00:00Z\nb/k.json.gz\n44136fa355b3678a1146ad16f7e8649e")
    key = load_public_key(signing_key.der)
    assert verify_signature(key, signing_key.sign_hex(message), message)
    assert not verify_signature(key, signing_key.sign_hex(message + b"x"), message)


def test_log_and_digest_keys_parse(writer: TrailWriter) -> None:
    key, _ = writer.put_log(BASE + timedelta(minutes=7))
    log = parse_log_key(BUCKET, key)
    assert log is not None
    assert (log.location.prefix, log.location.organization_id, log.location.account_id) == (
        key_prefix(PREFIX),
        None,
        ACCOUNT,
    )
    assert log.delivered_at == BASE + timedelta(minutes=7)
    assert log.location.digest_key(TRAIL, REGION, BASE) == writer.digest_key(BASE)
    assert digest_key_time(writer.digest_key(BASE, backfill=True)) == BASE
    assert parse_log_key(BUCKET, "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/other.json.gz") is None


# --- log key mode ---------------------------------------------------------------------------------------------


def test_valid_chain(session: boto3.Session, clients: StubbedClients, writer: TrailWriter) -> None:
    periods = writer.hourly_chain(4)
    log_key = periods[2][1][0]
    report = run(session, clients, log_keys=[log_key], chain=2)
    d = writer.digests
    assert statuses(report) == {
        log_key: Status.VALID,
        d[2].key: Status.VALID,
        d[1].key: Status.VALID,
        d[0].key: Status.VALID,
    }
    assert report.exit_code is ExitCode.VALID and report.ok
    log = report.get(FileKind.LOG, BUCKET, log_key)
    assert log is not None and log.digest == f"s3://{BUCKET}/{d[2].key}"
    clients.stub().assert_no_pending_responses()


def test_modified_log_file(session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any) -> None:
    periods = writer.hourly_chain(3)
    log_key = periods[1][0][0]
    rewrite(s3, log_key, json.dumps({"Records": [{"eventID": "forged"}]}).encode())
    report = run(session, clients, log_keys=[log_key])
    assert statuses(report)[log_key] is Status.MODIFIED
    assert "differs from the digest's" in reason(report, log_key)
    assert statuses(report)[writer.digests[1].key] is Status.VALID
    assert report.exit_code is ExitCode.TAMPERED


def test_trailing_data_after_gzip_is_modified(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    periods = writer.hourly_chain(2)
    log_key = periods[0][0][0]
    original = s3.get_object(Bucket=BUCKET, Key=log_key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=log_key, Body=original + b"junk")
    report = run(session, clients, log_keys=[log_key])
    assert statuses(report)[log_key] is Status.MODIFIED
    assert "after the end" in reason(report, log_key)


def test_deleted_log_file(session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any) -> None:
    periods = writer.hourly_chain(3)
    log_key = periods[1][1][0]
    s3.delete_object(Bucket=BUCKET, Key=log_key)
    report = run(session, clients, log_keys=[f"s3://{BUCKET}/{log_key}"])
    assert statuses(report)[log_key] is Status.MISSING
    assert report.exit_code is ExitCode.TAMPERED


def test_broken_chain_tampered_previous_digest(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    periods = writer.hourly_chain(4)
    d = writer.digests
    tampered = dict(d[1].body, logFiles=[])  # hide the period's log files
    rewrite(s3, d[1].key, json.dumps(tampered).encode())
    report = run(session, clients, log_keys=[periods[3][0][0]], chain=3)
    result = statuses(report)
    assert result[periods[3][0][0]] is Status.VALID
    assert result[d[3].key] is Status.VALID
    assert result[d[2].key] is Status.VALID
    assert result[d[1].key] is Status.MODIFIED
    assert "chain broken" in reason(report, d[1].key)
    assert d[0].key not in result  # the walk stops where the chain is broken
    assert report.exit_code is ExitCode.TAMPERED


def test_broken_chain_previous_digest_replaced_and_resigned(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any, attacker_key: SigningKey
) -> None:
    """A previous digest forged with another key: unverifiable on its own, but its chain link gives it away."""
    periods = writer.hourly_chain(3)
    d = writer.digests
    s3.delete_object(Bucket=BUCKET, Key=d[1].key)
    forged = writer.put_digest(BASE + timedelta(hours=1), periods[1][:1], previous=d[0], signer=attacker_key)
    assert forged.key == d[1].key
    report = run(session, clients, log_keys=[periods[2][0][0]], chain=1)
    assert statuses(report)[d[1].key] is Status.MODIFIED
    assert "signature differs" in reason(report, d[1].key)
    assert report.exit_code is ExitCode.TAMPERED


def test_previous_digest_replaced_by_validly_signed_one(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    """Even a digest signed with CloudTrail's key is caught if it is not the one the next digest links to."""
    periods = writer.hourly_chain(3)
    d = writer.digests
    replacement = writer.put_digest(BASE + timedelta(hours=1), periods[1][:1], previous=d[0])
    assert replacement.key == d[1].key and replacement.signature != d[1].signature
    report = run(session, clients, log_keys=[periods[2][0][0]], chain=2)
    assert statuses(report)[d[1].key] is Status.MODIFIED
    assert d[0].key not in statuses(report)


def test_previous_digest_with_unknown_key_is_authenticated_by_the_chain(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, attacker_key: SigningKey
) -> None:
    """An old digest whose public key ListPublicKeys no longer returns: its hash and signature are signed later."""
    old_log = writer.put_log(BASE + timedelta(minutes=5))
    old = writer.put_digest(BASE, [old_log], signer=attacker_key)  # stands for a retired CloudTrail key
    log = writer.put_log(BASE + timedelta(hours=1, minutes=5))
    writer.put_digest(BASE + timedelta(hours=1), [log], previous=old)
    report = run(session, clients, log_keys=[log[0]], chain=1)
    assert statuses(report)[old.key] is Status.VALID
    assert "authenticated through the chain" in reason(report, old.key)
    assert report.exit_code is ExitCode.VALID


def test_since_trusts_a_retired_key_digest_authenticated_by_the_chain(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, attacker_key: SigningKey
) -> None:
    old_log = writer.put_log(BASE + timedelta(minutes=5))
    old = writer.put_digest(BASE, [old_log], signer=attacker_key)  # stands for a retired CloudTrail key
    writer.put_digest(BASE + timedelta(hours=1), [], previous=old)
    report = run(session, clients, since=BASE)
    assert statuses(report) == {
        writer.digests[1].key: Status.VALID,
        old.key: Status.VALID,
        old_log[0]: Status.VALID,
    }


def test_deleted_previous_digest_is_missing(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    periods = writer.hourly_chain(3)
    d = writer.digests
    s3.delete_object(Bucket=BUCKET, Key=d[1].key)
    report = run(session, clients, log_keys=[periods[2][0][0]], chain=2)
    assert statuses(report)[d[1].key] is Status.MISSING
    assert report.exit_code is ExitCode.TAMPERED


def test_unknown_fingerprint_is_unverifiable(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, attacker_key: SigningKey
) -> None:
    first = writer.put_log(BASE + timedelta(minutes=5))
    writer.put_digest(BASE, [first], signer=attacker_key)
    writer.put_digest(BASE + timedelta(hours=1), [], previous=writer.digests[0])
    report = run(session, clients, log_keys=[first[0]])
    d0 = writer.digests[0].key
    assert statuses(report)[d0] is Status.UNVERIFIABLE
    assert f"fingerprint {attacker_key.fingerprint}" in reason(report, d0)
    assert statuses(report)[first[0]] is Status.UNVERIFIABLE
    assert "not valid" in reason(report, first[0])
    assert report.exit_code is ExitCode.UNVERIFIABLE


def test_first_digest_with_null_previous_signature(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter
) -> None:
    periods = writer.hourly_chain(2)
    assert writer.digests[0].body["previousDigestSignature"] is None
    report = run(session, clients, log_keys=[periods[0][0][0]], chain=5)
    assert statuses(report) == {periods[0][0][0]: Status.VALID, writer.digests[0].key: Status.VALID}
    assert any("first digest of its chain" in note for note in report.notes)
    assert report.exit_code is ExitCode.VALID


def test_organization_trail_paths(
    session: boto3.Session, clients: StubbedClients, s3: Any, signing_key: SigningKey
) -> None:
    member = TrailWriter(s3=s3, key=signing_key, account=MEMBER_ACCOUNT, org_id=ORG_ID, prefix=None)
    periods = member.hourly_chain(2)
    trail = TrailInfo.from_arn(TRAIL_ARN, bucket=BUCKET, organization=True)
    log_key = periods[1][0][0]
    assert f"AWSLogs/{ORG_ID}/{MEMBER_ACCOUNT}/CloudTrail/" in log_key
    report = run(session, clients, trail, log_keys=[log_key], chain=1)
    assert set(statuses(report).values()) == {Status.VALID}
    assert len(report.files) == 3
    assert all(f"AWSLogs/{ORG_ID}/{MEMBER_ACCOUNT}/" in f.key for f in report.files)

    clients.add_public_keys(signing_key)  # a new run has a new key cache
    since_report = run(
        session,
        clients,
        trail,
        since=BASE,
        account_id=MEMBER_ACCOUNT,
        organization_id=ORG_ID,
    )
    assert since_report.exit_code is ExitCode.VALID
    assert since_report.count(Status.VALID) == 2 + 4  # two digests, four log files


def test_public_key_is_looked_up_in_the_digests_region(
    session: boto3.Session, signing_key: SigningKey, s3: Any
) -> None:
    """A multi-region trail: eu-west-1's digests are signed with eu-west-1's key, listed by eu-west-1's API."""
    writer = TrailWriter(s3=s3, key=signing_key, region="eu-west-1")
    periods = writer.hourly_chain(1)
    assert "/CloudTrail-Digest/eu-west-1/" in writer.digests[0].key
    clients = StubbedClients(session)
    clients.add_public_keys(signing_key, region="eu-west-1")
    report = run(session, clients, log_keys=[periods[0][0][0]])
    assert report.exit_code is ExitCode.VALID, report.to_json()
    clients.stub("eu-west-1").assert_no_pending_responses()
    assert "eu-west-1" in reason(report, writer.digests[0].key)


def test_backfill_digest(session: boto3.Session, clients: StubbedClients, writer: TrailWriter) -> None:
    periods = writer.hourly_chain(3)
    late = writer.put_log(BASE + timedelta(hours=1, minutes=50))  # delivered, but left out of the hourly digest
    backfill = writer.put_digest(BASE + timedelta(hours=1), [late], backfill_generated=BASE + timedelta(days=2))
    assert backfill.key.endswith("_backfill.json.gz")
    report = run(session, clients, log_keys=[late[0], periods[1][0][0]])
    assert statuses(report)[late[0]] is Status.VALID
    result = report.get(FileKind.DIGEST, BUCKET, backfill.key)
    assert result is not None and result.status is Status.VALID and result.backfill
    assert report.exit_code is ExitCode.VALID


def test_backfill_digest_without_generation_timestamp_is_modified(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    writer.hourly_chain(1)
    late = writer.put_log(BASE + timedelta(minutes=50))
    backfill = writer.put_digest(BASE, [late], backfill_generated=BASE + timedelta(days=2))
    metadata = s3.head_object(Bucket=BUCKET, Key=backfill.key)["Metadata"]
    del metadata["backfill-generation-timestamp"]
    s3.copy_object(
        Bucket=BUCKET,
        Key=backfill.key,
        CopySource={"Bucket": BUCKET, "Key": backfill.key},
        Metadata=metadata,
        MetadataDirective="REPLACE",
    )
    report = run(session, clients, log_keys=[late[0]])
    assert statuses(report)[backfill.key] is Status.MODIFIED
    assert statuses(report)[late[0]] is Status.UNVERIFIABLE


def test_log_file_listed_in_no_digest(session: boto3.Session, clients: StubbedClients, writer: TrailWriter) -> None:
    writer.hourly_chain(3)
    planted, _ = writer.put_log(BASE + timedelta(hours=1, minutes=30))
    report = run(session, clients, log_keys=[planted])
    assert statuses(report)[planted] is Status.UNVERIFIABLE
    assert "not listed in any digest" in reason(report, planted)
    assert report.exit_code is ExitCode.UNVERIFIABLE


def test_moved_digest_is_modified(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    periods = writer.hourly_chain(2)
    d0 = writer.digests[0]
    moved = writer.digest_key(BASE + timedelta(minutes=59))
    s3.copy_object(Bucket=BUCKET, Key=moved, CopySource={"Bucket": BUCKET, "Key": d0.key})
    s3.delete_object(Bucket=BUCKET, Key=d0.key)
    report = run(session, clients, log_keys=[periods[0][0][0]])
    assert statuses(report)[moved] is Status.MODIFIED
    assert "moved from its original location" in reason(report, moved)


# --- waiting for the next digest ------------------------------------------------------------------------------


def test_wait_for_next_digest(session: boto3.Session, clients: StubbedClients, writer: TrailWriter) -> None:
    periods = writer.hourly_chain(2)
    fresh = writer.put_log(BASE + timedelta(hours=2, minutes=10))
    clock = FakeClock(BASE + timedelta(hours=2, minutes=12))
    # CloudTrail delivers the digest at 11:01, 49 minutes from now
    clock.after(49 * 60, lambda: writer.put_digest(BASE + timedelta(hours=2), [fresh], previous=writer.digests[-1]))
    report = run(session, clients, log_keys=[fresh[0]], chain=1, wait=3600, clock=clock, poll_interval=600)
    assert statuses(report)[fresh[0]] is Status.VALID
    assert statuses(report)[writer.digests[1].key] is Status.VALID
    assert clock.sleeps == [600] * 5  # 10:12 + 5 x 10 min passes 11:01, when the digest arrives
    assert any(note.startswith("waited 3000 s") for note in report.notes)
    assert periods  # the chain before it was intact


def test_wait_gives_up(session: boto3.Session, clients: StubbedClients, writer: TrailWriter) -> None:
    writer.hourly_chain(1)
    fresh = writer.put_log(BASE + timedelta(hours=1, minutes=10))
    clock = FakeClock(BASE + timedelta(hours=1, minutes=11))
    report = run(session, clients, log_keys=[fresh[0]], wait=90, clock=clock, poll_interval=60)
    assert clock.sleeps == [60, 30]
    assert statuses(report)[fresh[0]] is Status.UNVERIFIABLE
    assert "no digest covers" in reason(report, fresh[0])
    assert report.exit_code is ExitCode.UNVERIFIABLE


def test_a_log_key_that_does_not_exist_yet_is_unverifiable_not_tampered(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    """The advice is "retry later or use --wait" (or check the key): the verdict must agree (exit 2, not 1)."""
    writer.hourly_chain(1)
    future, _ = writer.put_log(BASE + timedelta(hours=1, minutes=10))
    s3.delete_object(Bucket=BUCKET, Key=future)  # named before CloudTrail delivered it (or mistyped)
    report = run(session, clients, log_keys=[future])
    assert statuses(report)[future] is Status.UNVERIFIABLE
    assert "not delivered yet, or a wrong key" in reason(report, future)
    assert "retry later or use --wait" in reason(report, future)
    assert report.exit_code is ExitCode.UNVERIFIABLE


# --- since mode -----------------------------------------------------------------------------------------------


def test_since_validates_every_digest_and_log(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter
) -> None:
    writer.hourly_chain(3)
    report = run(session, clients, since=BASE)
    assert report.count(Status.VALID) == 3 + 6
    assert report.exit_code is ExitCode.VALID


def test_since_finds_deleted_digest_in_range(
    session: boto3.Session, clients: StubbedClients, writer: TrailWriter, s3: Any
) -> None:
    writer.hourly_chain(4)
    s3.delete_object(Bucket=BUCKET, Key=writer.digests[2].key)
    report = run(session, clients, since=BASE + timedelta(hours=1))
    assert statuses(report)[writer.digests[2].key] is Status.MISSING
    assert report.exit_code is ExitCode.TAMPERED


def test_since_waits_for_a_first_digest(session: boto3.Session, clients: StubbedClients, writer: TrailWriter) -> None:
    log = writer.put_log(BASE + timedelta(minutes=5))
    clock = FakeClock(BASE + timedelta(minutes=6))
    clock.after(54 * 60, lambda: writer.put_digest(BASE, [log]))  # the first digest, at 11:00
    report = run(session, clients, since=BASE, wait=7200, clock=clock, poll_interval=900)
    assert clock.sleeps == [900] * 4
    assert statuses(report) == {log[0]: Status.VALID, writer.digests[0].key: Status.VALID}


def test_since_with_no_digests_is_an_error(session: boto3.Session, clients: StubbedClients) -> None:
    report = run(session, clients, since=BASE)
    assert report.errors and "no digest files" in report.errors[0]
    assert report.exit_code is ExitCode.UNVERIFIABLE


def test_arguments_are_checked(session: boto3.Session, clients: StubbedClients) -> None:
    with pytest.raises(ValueError, match="either"):
        run(session, clients)
    with pytest.raises(ValueError, match="either"):
        run(session, clients, log_keys=["k"], since=BASE)


def test_trail_resolved_with_get_trail(session: boto3.Session, signing_key: SigningKey, writer: TrailWriter) -> None:
    periods = writer.hourly_chain(1)
    clients = StubbedClients(session)
    clients.add_trail()
    clients.add_public_keys(signing_key)
    report = verify_integrity(session, TRAIL, [periods[0][0][0]], clients=clients, clock=NoWaitClock(LATER))
    assert report.trail == f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
    assert report.exit_code is ExitCode.VALID
