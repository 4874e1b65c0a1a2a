"""Where the verifier works (region precedence) and how it tells an outage from a misconfiguration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.parsers import ResponseParserError
from rich.console import Console

from ebtrail.verifier.aws import is_transient, resolve_region
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.verify.report import Outcome, VerificationResult, summary

ARN = "arn:aws:cloudtrail:ap-south-1:123456789012:trail/ebtrail-audit"


@pytest.mark.parametrize(
    ("explicit", "trail", "aws_region", "aws_default_region", "expected"),
    [
        ("eu-north-1", ARN, "us-west-2", "ca-central-1", "eu-north-1"),  # --region first
        (None, ARN, "us-west-2", "ca-central-1", "ap-south-1"),  # then the trail ARN's region
        (None, "ebtrail-audit", "us-west-2", "ca-central-1", "us-west-2"),  # then AWS_REGION
        (None, "ebtrail-audit", None, "ca-central-1", "ca-central-1"),  # then AWS_DEFAULT_REGION
        (None, "ebtrail-audit", None, None, "eu-central-1"),  # then the profile
    ],
)
def test_region_precedence(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    explicit: str | None,
    trail: str,
    aws_region: str | None,
    aws_default_region: str | None,
    expected: str,
) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for name, value in (("AWS_REGION", aws_region), ("AWS_DEFAULT_REGION", aws_default_region)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    assert resolve_region(boto3.Session(), explicit, trail) == expected


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "GetTrail")


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (EndpointConnectionError(endpoint_url="https://cloudtrail.us-east-1.amazonaws.com"), True),
        (ReadTimeoutError(endpoint_url="https://cloudtrail.us-east-1.amazonaws.com"), True),
        (ResponseParserError("invalid XML received"), True),
        (_client_error("ThrottlingException", 400), True),
        (_client_error("SlowDown", 503), True),
        (_client_error("InternalFailure", 500), True),
        (_client_error("ServiceUnavailable", 503), True),
        (_client_error("AccessDeniedException", 403), False),
        (_client_error("TrailNotFoundException", 400), False),
        (_client_error("InvalidParameterValue", 400), False),
    ],
)
def test_outages_are_told_apart_from_misconfiguration(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_an_emulators_html_page_for_a_missing_operation_is_not_an_outage() -> None:
    response: Any = {
        "Error": {"Code": "500", "Message": "<!DOCTYPE html><html>..."},
        "ResponseMetadata": {"HTTPStatusCode": 500},
    }
    html = ClientError(response, "LookupEvents")
    assert is_transient(html) is False


def test_the_summary_never_shows_account_none() -> None:
    findings = Findings()
    findings.problem("cannot identify the caller (credentials?)")
    result = VerificationResult(outcome=Outcome.MISCONFIGURED, region="us-east-1", findings=findings)
    console = Console(width=100, record=True)
    console.print(summary(result))
    text = console.export_text()
    assert "None" not in text
    assert "account unknown, region us-east-1" in text
