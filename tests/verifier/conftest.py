"""Fixtures of the verifier tests: fake AWS credentials, moto, a fake clock and fast settings; for the integrity
tests (check, CLI, parallel run, canary check, sweep) the key CloudTrail signs digests with and an S3 client of
the module's ``session`` (which those modules override with one that holds the trail's bucket)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ebtrail.verifier.verify.run import Settings
from tests.verifier.integrity_fixtures import SigningKey
from tests.verifier.verify_double import REGION, FakeClock

#: A fixed start for the fake clock: in the past, so that moto's real ``Date`` header is never earlier.
START = datetime(2026, 3, 14, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint or profile from the environment: never real AWS."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def session(moto: None) -> boto3.Session:
    return boto3.Session(region_name=REGION)


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    """One key per test module: generating an RSA key costs tens of milliseconds."""
    return SigningKey.generate()


@pytest.fixture
def s3(session: boto3.Session) -> Any:
    return session.client("s3")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fast() -> Settings:
    """Real intervals, no SQS long polling (the fake clock does the waiting), a 20-minute timeout."""
    return Settings(
        timeout=1200.0,
        s3_interval=10.0,
        sns_interval=2.0,
        sns_wait_seconds=0,
        event_history_interval=15.0,
        lookup_min_interval=0.5,
        margin=timedelta(minutes=2),
    )
