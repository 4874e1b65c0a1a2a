"""The parallel integrity check against the sequential reference (``workers=1``, one read after another, as
``aws cloudtrail validate-logs``): the same verdict on every tamper case, file by file, reason by reason; and
``--all-regions``/``--all-accounts``, each account x region its own chain."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from ebtrail.verifier.aws import Clients
from ebtrail.verifier.cli import cli
from ebtrail.verifier.integrity import ExitCode, IntegrityReport, Status, TrailInfo, verify_integrity
from ebtrail.verifier.integrity import verify as integrity_verify
from ebtrail.verifier.integrity.fetch import fetch_log_hash
from ebtrail.verifier.integrity.pool import Pool
from tests.verifier.integrity_fixtures import (
    ACCOUNT,
    BASE,
    BUCKET,
    MEMBER_ACCOUNT,
    ORG_ID,
    PREFIX,
    REGION,
    TRAIL,
    Digest,
    SigningKey,
    StubbedClients,
    TrailWriter,
)
from tests.verifier.verify_double import FakeClock

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
TRAIL_INFO = TrailInfo.from_arn(TRAIL_ARN, bucket=BUCKET, prefix=PREFIX)
LATER = BASE + timedelta(days=1)
HOURS = 6


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def session(moto: None) -> boto3.Session:
    session = boto3.Session(region_name=REGION)
    session.client("s3").create_bucket(Bucket=BUCKET)
    return session


@pytest.fixture
def writer(s3: Any, signing_key: SigningKey) -> TrailWriter:
    return TrailWriter(s3=s3, key=signing_key)


def rewrite(s3: Any, key: str, content: bytes) -> None:
    metadata = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(content), Metadata=metadata)


@dataclass(frozen=True)
class Expected:
    exit_code: ExitCode
    statuses: dict[str, Status]
    """Some files and the verdict each must get (the rest must be valid)."""
    note: str | None = None


# --- the tamper cases: each writes a 6-hour chain (2 log files an hour) and changes it -----------------------------


def intact(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    writer.hourly_chain(HOURS)
    return Expected(ExitCode.VALID, {})


def log_modified(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    periods = writer.hourly_chain(HOURS)
    key = periods[2][1][0]
    rewrite(s3, key, json.dumps({"Records": [{"eventID": "forged"}]}).encode())
    return Expected(ExitCode.TAMPERED, {key: Status.MODIFIED})


def log_deleted(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    periods = writer.hourly_chain(HOURS)
    key = periods[3][0][0]
    s3.delete_object(Bucket=BUCKET, Key=key)
    return Expected(ExitCode.TAMPERED, {key: Status.MISSING})


def digest_modified(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    writer.hourly_chain(HOURS)
    d = writer.digests[2]
    rewrite(s3, d.key, json.dumps(dict(d.body, logFiles=d.body["logFiles"][:1])).encode())
    return Expected(ExitCode.TAMPERED, {d.key: Status.MODIFIED})


def digest_deleted(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    writer.hourly_chain(HOURS)
    d = writer.digests[3]
    s3.delete_object(Bucket=BUCKET, Key=d.key)
    return Expected(ExitCode.TAMPERED, {d.key: Status.MISSING})


def unlisted_key(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    """The newest digest is signed with a key ListPublicKeys does not list: nothing vouches for it."""
    periods = writer.hourly_chain(HOURS - 1)
    logs = [writer.put_log(BASE + timedelta(hours=HOURS - 1, minutes=10))]
    newest = writer.put_digest(BASE + timedelta(hours=HOURS - 1), logs, previous=writer.digests[-1], signer=other)
    assert periods
    return Expected(ExitCode.UNVERIFIABLE, {newest.key: Status.UNVERIFIABLE})


def retired_key(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    """The oldest digest's key is no longer listed, but the next digest's signed link vouches for it."""
    first_log = writer.put_log(BASE + timedelta(minutes=5))
    previous: Digest = writer.put_digest(BASE, [first_log], signer=other)
    for hour in range(1, HOURS):
        log = writer.put_log(BASE + timedelta(hours=hour, minutes=5))
        previous = writer.put_digest(BASE + timedelta(hours=hour), [log], previous=previous)
    return Expected(ExitCode.VALID, {writer.digests[0].key: Status.VALID, first_log[0]: Status.VALID})


def backfill(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    writer.hourly_chain(HOURS)
    late = writer.put_log(BASE + timedelta(hours=2, minutes=55))
    digest = writer.put_digest(BASE + timedelta(hours=2), [late], backfill_generated=BASE + timedelta(hours=8))
    return Expected(ExitCode.VALID, {digest.key: Status.VALID, late[0]: Status.VALID})


def rotation(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    """CloudTrail rotates its key halfway: both keys are listed, the link across the rotation holds."""
    previous: Digest | None = None
    for hour in range(HOURS):
        log = writer.put_log(BASE + timedelta(hours=hour, minutes=5))
        signer = other if hour >= HOURS // 2 else None
        previous = writer.put_digest(BASE + timedelta(hours=hour), [log], previous=previous, signer=signer)
    return Expected(ExitCode.VALID, {}, note="CloudTrail rotated its key")


def gap(writer: TrailWriter, s3: Any, other: SigningKey) -> Expected:
    """Logging stopped for three hours: a new chain starts, with no link to the old one."""
    writer.hourly_chain(2)
    previous: Digest | None = None
    for hour in range(5, 5 + HOURS - 2):
        log = writer.put_log(BASE + timedelta(hours=hour, minutes=5))
        previous = writer.put_digest(BASE + timedelta(hours=hour), [log], previous=previous)
    return Expected(ExitCode.VALID, {}, note="CloudTrail wrote no digests for a while")


CASES: dict[str, Callable[[TrailWriter, Any, SigningKey], Expected]] = {
    "intact": intact,
    "log modified": log_modified,
    "log deleted": log_deleted,
    "digest modified": digest_modified,
    "digest deleted": digest_deleted,
    "unlisted key": unlisted_key,
    "retired key vouched for by the chain": retired_key,
    "backfill": backfill,
    "rotation": rotation,
    "a gap": gap,
}


@dataclass
class Run:
    report: IntegrityReport
    s3_requests: int


def run(session: boto3.Session, keys: list[SigningKey], workers: int, **kwargs: Any) -> Run:
    clients = StubbedClients(session)
    clients.add_public_keys(*keys)
    requests: list[str] = []
    clients.s3().meta.events.register("before-call.s3", lambda model, **_: requests.append(model.name))
    report = verify_integrity(session, TRAIL_INFO, clients=clients, clock=FakeClock(LATER), workers=workers, **kwargs)
    json.loads(report.to_json())
    clients.stub().assert_no_pending_responses()
    return Run(report, len(requests))


def verdicts(report: IntegrityReport) -> list[tuple[str, str, str, str, str | None]]:
    return sorted((f.kind.value, f.key, f.status.value, f.reason, f.digest) for f in report.files)


@pytest.mark.parametrize("chain", [0, 2])
@pytest.mark.parametrize("case", list(CASES))
def test_parallel_gives_the_sequential_verdicts(
    *,
    session: boto3.Session,
    writer: TrailWriter,
    s3: Any,
    signing_key: SigningKey,
    other_key: SigningKey,
    case: str,
    chain: int,
) -> None:
    expected = CASES[case](writer, s3, other_key)
    listed = [signing_key, other_key] if case == "rotation" else [signing_key]
    since = BASE + timedelta(hours=1) if chain else BASE

    sequential = run(session, listed, workers=1, since=since, chain=chain)
    parallel = run(session, listed, workers=8, since=since, chain=chain)

    assert verdicts(parallel.report) == verdicts(sequential.report)
    assert parallel.report.exit_code == sequential.report.exit_code
    assert sorted(parallel.report.notes) == sorted(sequential.report.notes)
    assert parallel.report.errors == sequential.report.errors == []
    # and the verdict is the right one, not merely the same
    report = parallel.report
    assert report.exit_code is expected.exit_code, report.to_json()
    by_key = {f.key: f.status for f in report.files}
    for key, status in expected.statuses.items():
        if key in by_key or status is not Status.VALID or since == BASE:
            assert by_key[key] is status, (key, report.to_json())
    unexpected = {k: s for k, s in by_key.items() if s is not Status.VALID and k not in expected.statuses}
    assert unexpected == {}
    if expected.note:
        assert any(expected.note in note for note in report.notes), report.notes
    # the pool reads what the reference reads (the log files of a digest that may be vouched for excepted)
    assert parallel.s3_requests <= sequential.s3_requests + (2 if case == "unlisted key" else 0)


def test_log_key_mode_is_the_same_in_parallel(
    session: boto3.Session, writer: TrailWriter, s3: Any, signing_key: SigningKey
) -> None:
    periods = writer.hourly_chain(4)
    s3.delete_object(Bucket=BUCKET, Key=writer.digests[1].key)
    keys = [periods[3][0][0], periods[2][1][0]]
    sequential = run(session, [signing_key], workers=1, log_keys=keys, chain=3)
    parallel = run(session, [signing_key], workers=8, log_keys=keys, chain=3)
    assert verdicts(parallel.report) == verdicts(sequential.report)
    assert parallel.report.exit_code is ExitCode.TAMPERED


# --- many chains ------------------------------------------------------------------------------------------------


def test_all_accounts_and_regions_each_their_own_chain(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    org_trail = TrailInfo.from_arn(TRAIL_ARN, bucket=BUCKET, organization=True)
    writers = {
        (account, region): TrailWriter(
            s3=s3, key=signing_key, account=account, org_id=ORG_ID, prefix=None, region=region
        )
        for account in (ACCOUNT, MEMBER_ACCOUNT)
        for region in (REGION, "eu-west-1")
    }
    for w in writers.values():
        w.hourly_chain(3)
    tampered = writers[(MEMBER_ACCOUNT, "eu-west-1")]
    s3.delete_object(Bucket=BUCKET, Key=tampered.digests[1].key)
    s3.put_object(Bucket=BUCKET, Key=f"AWSLogs/{ORG_ID}/not-an-account/CloudTrail-Digest/{REGION}/x", Body=b"")

    def check(workers: int) -> IntegrityReport:
        clients = StubbedClients(session)
        for region in (REGION, "eu-west-1"):
            clients.add_public_keys(signing_key, region=region)
        return verify_integrity(
            session,
            org_trail,
            since=BASE,
            organization_id=ORG_ID,
            all_regions=True,
            all_accounts=True,
            clients=clients,
            clock=FakeClock(LATER),
            workers=workers,
        )

    report = check(8)
    assert report.exit_code is ExitCode.TAMPERED
    chains = {(c.account, c.region): c for c in report.chains}
    assert sorted(chains) == sorted(writers)
    assert {k: c.exit_code for k, c in chains.items()} == {
        (ACCOUNT, REGION): ExitCode.VALID,
        (ACCOUNT, "eu-west-1"): ExitCode.VALID,
        (MEMBER_ACCOUNT, REGION): ExitCode.VALID,
        (MEMBER_ACCOUNT, "eu-west-1"): ExitCode.TAMPERED,
    }
    assert chains[(ACCOUNT, REGION)].digests == {"valid": 3, "modified": 0, "missing": 0, "unverifiable": 0}
    assert chains[(ACCOUNT, REGION)].logs["valid"] == 6
    assert chains[(MEMBER_ACCOUNT, "eu-west-1")].digests["missing"] == 1
    assert report.to_dict()["chains"][0]["account"] == ACCOUNT
    assert verdicts(check(1)) == verdicts(report)


def test_all_accounts_refuses_a_trail_that_is_not_an_organization_trail(
    session: boto3.Session, writer: TrailWriter, signing_key: SigningKey
) -> None:
    writer.hourly_chain(1)
    clients = StubbedClients(session)
    report = verify_integrity(
        session, TRAIL_INFO, since=BASE, all_accounts=True, clients=clients, clock=FakeClock(LATER)
    )
    assert report.exit_code is ExitCode.UNVERIFIABLE
    assert report.errors == [f"--all-accounts: allowed only for an organization trail; {TRAIL_ARN} is not one"]


def test_cli_all_regions_one_line_per_chain(
    session: boto3.Session, s3: Any, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    for region in (REGION, "eu-west-1"):
        TrailWriter(s3=s3, key=signing_key, region=region).hourly_chain(2)
    clients = StubbedClients(session)
    monkeypatch.setattr(Clients, "create", lambda *_args: clients)

    def invoke(*args: str) -> Any:
        clients.add_trail()
        for region in (REGION, "eu-west-1"):
            clients.add_public_keys(signing_key, region=region)
        return CliRunner().invoke(
            cli, ["integrity", "--trail", TRAIL, "--since", "2026-11-20T10:00:00Z", "--all-regions", *args]
        )

    table = invoke()
    assert table.exit_code == 0, table.output
    lines = [line for line in table.output.splitlines() if line.startswith(ACCOUNT)]
    assert [line.split(":")[0] for line in lines] == [f"{ACCOUNT} eu-west-1", f"{ACCOUNT} {REGION}"]
    assert all("valid: 2/2 digests valid, 4/4 log files valid" in line for line in lines)
    assert "all files valid (12 valid)" in table.output
    assert "checking files" not in table.output  # no progress bar without a terminal

    as_json = invoke("--json", "--workers", "4")
    assert as_json.exit_code == 0, as_json.output
    out = json.loads(as_json.output)
    assert [(c["region"], c["exit_code"]) for c in out["chains"]] == [("eu-west-1", 0), (REGION, 0)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log-key", "k", "--all-regions"], "need --since"),
        (["--since", "2026-11-20T10:00:00Z", "--all-accounts", "--account-id", ACCOUNT], "either --account-id"),
        (["--since", "2026-11-20T10:00:00Z", "--workers", "0"], "--workers"),
    ],
)
def test_cli_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["integrity", "--trail", TRAIL, *args])
    assert result.exit_code == 2
    assert message in result.output


# --- the pool -----------------------------------------------------------------------------------------------------


def test_pool_runs_side_by_side_and_bounds_what_is_in_flight() -> None:
    started: list[int] = []
    lock = threading.Lock()
    gate = threading.Barrier(4, timeout=30)  # four items can only finish if four threads run them at once

    def work(item: int) -> int:
        with lock:
            started.append(item)
        if item < 4:
            gate.wait()
        return item * 2

    consumed = 0
    with Pool(4) as pool:
        for item, doubled in pool.map(work, range(100)):
            assert doubled == item * 2
            with lock:
                assert len(started) <= consumed + 2 * 4  # at most 2 x workers handed out ahead of the caller
            consumed += 1
    assert consumed == 100


def test_pool_raises_a_workers_exception_in_the_caller() -> None:
    def work(item: int) -> int:
        if item == 3:
            raise RuntimeError("boom")
        return item

    with Pool(2) as pool, pytest.raises(RuntimeError, match="boom"):
        list(pool.map(work, range(10)))


def test_a_signal_while_the_pool_reads_still_prints_the_json_object(
    session: boto3.Session, writer: TrailWriter, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM sent from a worker thread while the main thread waits on the pool: the CLI ends at once with the
    --json object, the signal and exit 143, as it does when the signal comes during GetTrail."""
    writer.hourly_chain(HOURS)
    clients = StubbedClients(session)
    clients.add_trail()
    clients.add_public_keys(signing_key)
    monkeypatch.setattr(Clients, "create", lambda *_args: clients)
    reads = itertools.count()
    real = fetch_log_hash

    def read(s3: Any, bucket: str, key: str) -> Any:
        if next(reads) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(s3, bucket, key)

    monkeypatch.setattr(integrity_verify, "fetch_log_hash", read)
    result = CliRunner().invoke(
        cli, ["integrity", "--trail", TRAIL, "--since", "2026-11-20T10:00:00Z", "--json", "--workers", "4"]
    )
    assert result.exit_code == 143, result.output
    out = json.loads(result.output)
    assert (out["signal"], out["exit_code"], out["ok"]) == ("SIGTERM", 143, False)
    assert out["errors"] == ["interrupted by SIGTERM: integrity check not finished (it creates nothing)"]
