"""Error classification (ebtrail.verifier.aws) and the probe's ownership rule (ebtrail.verifier.verify.probe)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ebtrail.verifier.aws import describe_error, error_message, is_access_denied, is_not_implemented
from ebtrail.verifier.verify.probe import MAX_TRUSTED_SKEW, ProbeCall, is_own_application, new_name


def client_error(code: str, message: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "LookupEvents")


def test_html_error_page_means_not_implemented() -> None:
    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    exc = client_error("500", page, 500)
    assert is_not_implemented(exc)
    assert error_message(exc) == "HTTP 500 with an HTML page instead of an AWS API error"
    assert not is_not_implemented(client_error("InternalFailure", "We encountered an internal error", 500))
    assert is_not_implemented(NotImplementedError("The lookup_events action has not been implemented"))


def test_access_denied_names_the_action() -> None:
    exc = client_error("AccessDenied", "User: x is not authorized", 403)
    assert is_access_denied(exc)
    text = describe_error("s3", "ListObjectsV2", exc, "arn:aws:s3:::b")
    assert text.startswith("missing permission s3:ListBucket on arn:aws:s3:::b")
    assert not is_access_denied(client_error("ThrottlingException", "slow down", 400))


def test_long_messages_are_shortened() -> None:
    assert len(error_message(client_error("X", "word " * 500, 400))) <= 300


def test_only_own_applications() -> None:
    now = datetime(2026, 3, 14, 12, 0, 5, tzinfo=UTC)
    name = new_name(now, "abcdef012345")
    assert name == "ebtrail-verify-20260314T120005Z-abcdef012345"
    assert is_own_application(name, "abcdef012345")
    assert not is_own_application(name, "000000000000")
    assert not is_own_application("production-abcdef012345", "abcdef012345")


def test_clock_skew_margin_uses_the_earlier_clock_within_reason() -> None:
    now = datetime(2026, 3, 14, 12, 0, 5, tzinfo=UTC)

    def call(server: datetime | None) -> ProbeCall:
        return ProbeCall("n", "nonce", "r", now, server, None)

    assert call(now - timedelta(minutes=3)).earliest == now - timedelta(minutes=3)
    assert call(now + timedelta(minutes=3)).earliest == now
    assert call(now - MAX_TRUSTED_SKEW - timedelta(seconds=1)).earliest == now
    assert call(None).earliest == now
