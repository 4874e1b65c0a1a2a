"""The integrity bench's chain builder (``bench/integrity_bench.py``) writes a chain that the check finds valid,
file for file: what the bench times is a real validation. The bench itself is not part of the suite."""

from __future__ import annotations

from datetime import timedelta

import boto3

from bench.integrity_bench import ACCOUNT, REGION, START, Chain, build_chain
from ebtrail.verifier.integrity import ExitCode, Status, TrailInfo, verify_integrity
from tests.verifier.integrity_fixtures import SigningKey, StubbedClients
from tests.verifier.verify_double import FakeClock


def test_the_bench_chain_is_valid_and_as_long_as_asked(moto: None) -> None:
    chain = Chain("bench-trail", "bench-archive", "archive", hours=3, logs_per_hour=4, start=START)
    session = boto3.Session(region_name=REGION)
    s3 = session.client("s3")
    s3.create_bucket(Bucket=chain.bucket)
    key = SigningKey.generate()
    writer = build_chain(s3, key, chain)
    assert len(writer.digests) == 3
    assert [len(d.body["logFiles"]) for d in writer.digests] == [4, 4, 4]

    clients = StubbedClients(session)
    clients.add_public_keys(key)
    trail = TrailInfo.from_arn(chain.arn, bucket=chain.bucket, prefix=chain.prefix)
    assert trail.account == ACCOUNT
    report = verify_integrity(
        session, trail, since=chain.start, clients=clients, clock=FakeClock(chain.end + timedelta(hours=1))
    )
    assert report.exit_code is ExitCode.VALID, report.to_json()
    assert report.count(Status.VALID) == chain.files == 3 * (1 + 4)
