"""``ebtrail-verify verify``: options, exit codes, --json and the readable summary (moto, real clock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from click.testing import CliRunner

from ebtrail.verifier.cli import cli
from ebtrail.verifier.clock import SystemClock
from ebtrail.verifier.integrity import FileKind, FileResult, IntegrityReport, Status, TrailInfo
from ebtrail.verifier.verify.run import Settings
from tests.verifier.verify_double import BUCKET, REGION, TRAIL, CloudTrailDouble, FakeClock, deploy


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait of the verifier's real clock, in seconds. How long a run waits is the verifier's own doing and can
    be asserted; its wall time also counts moto's work, which a loaded machine stretches."""
    waits: list[float] = []
    real_sleep = SystemClock.sleep

    def recording_sleep(self: SystemClock, seconds: float) -> None:
        waits.append(seconds)
        real_sleep(self, seconds)

    monkeypatch.setattr(SystemClock, "sleep", recording_sleep)
    return waits


@pytest.fixture
def cli_session(session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """The command builds its own ``boto3.Session()``; hand it the test's, where the CloudTrail double listens."""
    monkeypatch.setattr("ebtrail.verifier.cli.verify.boto3.Session", lambda **kwargs: session)
    return session


REQUIRED_KEYS = {"confirmed", "request_id", "event_name", "log_file", "record", "seconds_to_arrival", "problems"}


def test_json_arrival(cli_session: boto3.Session, slept: list[float]) -> None:
    dep = deploy(cli_session)
    double = CloudTrailDouble(dep, FakeClock(datetime.now(UTC)), delay=0).install()

    result = CliRunner().invoke(cli, ["verify", "--trail", TRAIL, "--region", REGION, "--timeout", "20", "--json"])

    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out.keys() >= REQUIRED_KEYS
    assert out["confirmed"] is True
    assert out["request_id"] == double.calls[0].request_id
    assert out["log_file"] == {"bucket": BUCKET, "key": double.delivered[0]}
    assert out["record"]["eventName"] == "CreateApplication"
    assert set(out["seconds_to_arrival"]) == {"s3", "sns", "event_history"}
    assert out["seconds_to_arrival"]["sns"] is not None
    assert isinstance(out["problems"], list)
    assert sum(slept) < 20  # it stopped waiting when the record arrived, well before --timeout
    assert dep.leftovers() == {"applications": [], "queues": [], "subscriptions": []}


def test_readable_summary(cli_session: boto3.Session) -> None:
    dep = deploy(cli_session, topic=False)
    double = CloudTrailDouble(dep, FakeClock(datetime.now(UTC)), delay=0).install()

    result = CliRunner().invoke(cli, ["verify", "--trail", TRAIL, "--region", REGION, "--timeout", "20"])

    assert result.exit_code == 0, result.output
    assert "ARRIVED" in result.stdout
    assert double.calls[0].request_id in result.stdout
    assert double.delivered[0].rsplit("/", 1)[-1] in result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
    assert "S3 log folder" in result.stdout


def test_not_logging_exits_2(session: boto3.Session) -> None:
    deploy(session, logging=False)

    result = CliRunner().invoke(cli, ["verify", "--trail", TRAIL, "--region", REGION, "--json"])

    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["confirmed"] is False
    assert out["request_id"] is None
    assert any("not logging" in p for p in out["problems"])


def test_timeout_exits_1_within_the_timeout(session: boto3.Session, slept: list[float]) -> None:
    dep = deploy(session, topic=False)

    result = CliRunner().invoke(cli, ["verify", "--trail", TRAIL, "--region", REGION, "--timeout", "1", "--json"])

    assert result.exit_code == 1, result.output
    # it never waits past --timeout (but for LookupEvents' rate-limit pause before a poll started in time)
    assert sum(slept) <= 1.0 + Settings().lookup_min_interval
    out = json.loads(result.stdout)
    assert out["confirmed"] is False and out["log_file"] is None
    assert dep.leftovers()["applications"] == []


def test_help_documents_exit_codes() -> None:
    # In-process: `python -m ebtrail.verifier` itself is run by test_signals.py and test_verifier_model.py.
    result = CliRunner().invoke(cli, ["verify", "--help"])
    assert result.exit_code == 0, result.output
    for text in ("--trail", "--region", "--profile", "--timeout", "--json", "0 ", "1 ", "2 ", "misconfiguration"):
        assert text in result.stdout


class _IntegrityRecorder:
    """Stands in for verify_integrity: records its arguments, answers with a prepared report."""

    def __init__(self, status: Status) -> None:
        self.status = status
        self.calls: list[dict[str, object]] = []

    def __call__(
        self, session: boto3.Session, trail: str | TrailInfo, log_keys: list[str], **kwargs: object
    ) -> IntegrityReport:
        self.calls.append({"trail": trail, "log_keys": log_keys, **kwargs})
        bucket, _, key = log_keys[0].removeprefix("s3://").partition("/")
        report = IntegrityReport(trail=trail if isinstance(trail, str) else trail.arn)
        report.record(FileResult(kind=FileKind.LOG, bucket=bucket, key=key, status=self.status, reason="test"))
        return report


@pytest.mark.parametrize(("status", "exit_code"), [(Status.VALID, 0), (Status.MODIFIED, 1)])
def test_integrity_runs_on_the_confirmed_log_file_and_decides_the_exit_code(
    cli_session: boto3.Session, monkeypatch: pytest.MonkeyPatch, status: Status, exit_code: int
) -> None:
    dep = deploy(cli_session)
    double = CloudTrailDouble(dep, FakeClock(datetime.now(UTC)), delay=0).install()
    recorder = _IntegrityRecorder(status)
    monkeypatch.setattr("ebtrail.verifier.cli.verify.verify_integrity", recorder)

    result = CliRunner().invoke(
        cli,
        [
            "verify",
            "--trail",
            TRAIL,
            "--region",
            REGION,
            "--timeout",
            "20",
            "--json",
            "--integrity",
            "--integrity-wait",
            "7",
        ],
    )

    assert result.exit_code == exit_code, result.output
    (call,) = recorder.calls
    trail = call["trail"]
    assert isinstance(trail, TrailInfo) and trail.arn == dep.trail_arn  # the trail verify read, not a 2nd GetTrail
    assert call["log_keys"] == [f"s3://{BUCKET}/{double.delivered[0]}"]
    assert call["chain"] == 1
    assert call["wait"] == 7
    out = json.loads(result.stdout)
    assert out["confirmed"] is True
    assert out["integrity"]["files"][0]["status"] == status.value


def test_integrity_is_not_attempted_when_nothing_arrived(
    session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ebtrail.verifier.cli.verify.boto3.Session", lambda **kwargs: session)
    deploy(session)
    recorder = _IntegrityRecorder(Status.VALID)
    monkeypatch.setattr("ebtrail.verifier.cli.verify.verify_integrity", recorder)

    result = CliRunner().invoke(
        cli, ["verify", "--trail", TRAIL, "--region", REGION, "--timeout", "1", "--json", "--integrity"]
    )

    assert result.exit_code == 1, result.output
    assert recorder.calls == []
    assert json.loads(result.stdout)["integrity"] is None
