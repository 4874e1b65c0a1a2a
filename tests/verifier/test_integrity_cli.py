"""``ebtrail-verify integrity`` through click's CliRunner: output, --json and exit codes."""

from __future__ import annotations

import gzip
import json
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from ebtrail.verifier.aws import Clients
from ebtrail.verifier.cli import cli
from tests.verifier.integrity_fixtures import BUCKET, REGION, TRAIL, SigningKey, StubbedClients, TrailWriter


@pytest.fixture
def env(moto: None, monkeypatch: pytest.MonkeyPatch, signing_key: SigningKey) -> tuple[TrailWriter, StubbedClients]:
    """conftest's moto environment, the trail's bucket, and the CLI's clients replaced by stubbed ones."""
    session = boto3.Session(region_name=REGION)
    session.client("s3").create_bucket(Bucket=BUCKET)
    clients = StubbedClients(session)
    monkeypatch.setattr(Clients, "create", lambda *_args: clients)
    return TrailWriter(s3=session.client("s3"), key=signing_key), clients


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["integrity", "--trail", TRAIL, *args], catch_exceptions=False)


def test_valid_json_exit_0(env: tuple[TrailWriter, StubbedClients], signing_key: SigningKey) -> None:
    writer, clients = env
    periods = writer.hourly_chain(3)
    clients.add_trail()
    clients.add_public_keys(signing_key)
    result = invoke("--log-key", periods[2][0][0], "--log-key", periods[2][1][0], "--chain", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True and report["exit_code"] == 0
    assert report["summary"] == {"valid": 5, "modified": 0, "missing": 0, "unverifiable": 0}
    kinds = sorted(f["kind"] for f in report["files"])
    assert kinds == ["digest", "digest", "digest", "log", "log"]
    assert report["trail"].endswith(f":trail/{TRAIL}")


def test_valid_table(env: tuple[TrailWriter, StubbedClients], signing_key: SigningKey) -> None:
    writer, clients = env
    periods = writer.hourly_chain(1)
    clients.add_trail()
    clients.add_public_keys(signing_key)
    result = invoke("--log-key", periods[0][0][0])
    assert result.exit_code == 0, result.output
    assert "all files valid (2 valid)" in result.output
    assert "Integrity of arn:aws:cloudtrail" in result.output


def test_modified_log_exit_1(env: tuple[TrailWriter, StubbedClients], signing_key: SigningKey) -> None:
    writer, clients = env
    periods = writer.hourly_chain(2)
    writer.s3.put_object(Bucket=BUCKET, Key=periods[0][1][0], Body=gzip.compress(b'{"Records": []}'))
    clients.add_trail()
    clients.add_public_keys(signing_key)
    result = invoke("--since", "2026-11-20T10:00:00Z")
    assert result.exit_code == 1, result.output
    assert "modified" in result.output
    assert "INTEGRITY FAILURE" in result.output


def test_unverifiable_json_exit_2(env: tuple[TrailWriter, StubbedClients], signing_key: SigningKey) -> None:
    writer, clients = env
    writer.hourly_chain(1)
    clients.add_trail()
    other = SigningKey.generate()
    clients.add_public_keys(other)  # CloudTrail knows another key only
    result = invoke("--since", "2026-11-20T10:00:00", "--json")
    assert result.exit_code == 2, result.output
    report = json.loads(result.output)
    assert [f["status"] for f in report["files"]] == ["unverifiable"]
    assert "public key not found" in report["files"][0]["reason"]


def test_trail_not_found_exit_2(env: tuple[TrailWriter, StubbedClients]) -> None:
    _, clients = env
    clients.stub().add_client_error("get_trail", "TrailNotFoundException", "Unknown trail")
    result = invoke("--log-key", "k", "--json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["files"] == [] and "TrailNotFoundException" in report["errors"][0]


@pytest.mark.parametrize(
    "args",
    [[], ["--log-key", "k", "--since", "2026-11-20T10:00:00Z"], ["--since", "yesterday"], ["--chain", "-1"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["integrity", "--trail", TRAIL, *args])
    assert result.exit_code == 2
    assert "Usage:" in result.output or "Error" in result.output


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["integrity", "--help"])
    assert result.exit_code == 0
    assert "Exit codes:" in result.output and "modified or missing" in result.output
