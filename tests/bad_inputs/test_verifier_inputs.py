"""The bad-input corpus of the verifier: options, arguments and environment, each refused with its documented exit
code (2 misconfiguration or usage, 3 AWS unreachable) and one clear message, never a traceback. In-process
(click's runner): nothing here reaches AWS, except the fake endpoints that are down, throttle or fail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

import ebtrail.verifier.aws
from ebtrail.verifier.cli import cli
from tests.bad_inputs.corpus import Case, assert_refused
from tests.verifier.moto_server import free_port

ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/ebtrail-audit"
TIMEOUT_RANGE = "allowed: a finite number of seconds from 1 to 3600"
WAIT_RANGE = "allowed: a finite number of seconds from 0 to 7200"
NOT_A_TRAIL = "--trail: allowed: a trail name or a trail ARN"

THROTTLED = (
    400,
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>",
)
UNAVAILABLE = (503, b"Service Unavailable")


@pytest.fixture(scope="module")
def failing_endpoints() -> Iterator[dict[str, str]]:
    """Endpoints that are down (nothing listens), throttle every request, or answer 503."""
    servers = []
    endpoints = {"down": f"http://localhost:{free_port()}"}
    for name, (status, body) in {"throttling": THROTTLED, "unavailable": UNAVAILABLE}.items():

        class Answer(BaseHTTPRequestHandler):
            answer = (status, body)

            def log_message(self, *_args: object) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(self.answer[0])
                self.send_header("Content-Length", str(len(self.answer[1])))
                self.end_headers()
                self.wfile.write(self.answer[1])

            do_GET = do_POST  # noqa: N815 - http.server's name

        server = ThreadingHTTPServer(("localhost", 0), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        endpoints[name] = f"http://localhost:{server.server_address[1]}"
    yield endpoints
    for server in servers:
        server.shutdown()
        server.server_close()


VERIFY_CASES = [
    Case("timeout-nan", ("verify", "--trail", "t1x", "--timeout", "nan"), 2, f"{TIMEOUT_RANGE}; got 'nan'"),
    Case("timeout-inf", ("verify", "--trail", "t1x", "--timeout", "inf"), 2, f"{TIMEOUT_RANGE}; got 'inf'"),
    Case("timeout-1e400", ("verify", "--trail", "t1x", "--timeout", "1e400"), 2, f"{TIMEOUT_RANGE}; got '1e400'"),
    Case("timeout-zero", ("verify", "--trail", "t1x", "--timeout", "0"), 2, f"{TIMEOUT_RANGE}; got '0'"),
    Case("timeout-negative", ("verify", "--trail", "t1x", "--timeout", "-5"), 2, f"{TIMEOUT_RANGE}; got '-5'"),
    Case("timeout-over-max", ("verify", "--trail", "t1x", "--timeout", "3601"), 2, f"{TIMEOUT_RANGE}; got '3601'"),
    Case("timeout-word", ("verify", "--trail", "t1x", "--timeout", "ten"), 2, f"{TIMEOUT_RANGE}; got 'ten'"),
    Case("integrity-wait-nan", ("verify", "--trail", "t1x", "--integrity-wait", "nan"), 2, WAIT_RANGE),
    Case("integrity-wait-negative", ("verify", "--trail", "t1x", "--integrity-wait", "-1"), 2, WAIT_RANGE),
    Case("integrity-wait-over-max", ("verify", "--trail", "t1x", "--integrity-wait", "7201"), 2, WAIT_RANGE),
    Case("trail-missing", ("verify",), 2, "Missing option '--trail'"),
    Case("unknown-option", ("verify", "--trail", "t1x", "--wait", "3"), 2, "No such option '--wait'"),
    Case(
        "arn-bad-region",
        ("verify", "--trail", "arn:aws:cloudtrail:bad region!:123456789012:trail/x1y", "--json"),
        2,
        "('bad region!' is not a region name)",
    ),
    Case(
        "arn-not-cloudtrail",
        ("verify", "--trail", "arn:aws:s3:::ebtrail-logs", "--json"),
        2,
        "(not a CloudTrail trail ARN)",
    ),
    Case(
        "arn-short-account",
        ("verify", "--trail", "arn:aws:cloudtrail:us-east-1:1234:trail/abc", "--json"),
        2,
        "('1234' is not a 12-digit account ID)",
    ),
    Case(
        "arn-unknown-partition",
        ("verify", "--trail", "arn:aws-mars:cloudtrail:us-east-1:123456789012:trail/abc", "--json"),
        2,
        "(unknown partition 'aws-mars')",
    ),
    Case("trail-name-space", ("verify", "--trail", "my trail", "--json"), 2, "got 'my trail'"),
    Case("trail-name-empty", ("verify", "--trail", "", "--json"), 2, "got ''"),
    Case(
        "region-option-malformed",
        ("verify", "--trail", "t1x", "--region", "us east 1", "--json"),
        2,
        "--region: allowed: a region name such as us-east-1 or eu-west-1; got 'us east 1'",
    ),
    Case(
        "no-region-anywhere",
        ("verify", "--trail", "t1x", "--json"),
        2,
        "no region: pass --region, set AWS_REGION, or give the trail's ARN",
        env={"AWS_REGION": None, "AWS_DEFAULT_REGION": None},
    ),
    Case(
        "aws-region-malformed",
        ("verify", "--trail", "t1x", "--json"),
        2,
        "AWS_REGION: allowed: a region name such as us-east-1 or eu-west-1; got 'mars!'",
        env={"AWS_REGION": "mars!"},
    ),
    Case(
        "no-credentials",
        ("verify", "--trail", "t1x", "--json"),
        2,
        "cannot identify the caller (credentials?)",
        env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
    ),
    Case(
        "profile-option-unknown",
        ("verify", "--trail", "t1x", "--profile", "nope", "--json"),
        2,
        "cannot start a boto3 session: The config profile (nope) could not be found",
    ),
    Case(
        "aws-profile-unknown",
        ("verify", "--trail", "t1x", "--json"),
        2,
        "cannot start a boto3 session: The config profile (nope) could not be found",
        env={"AWS_PROFILE": "nope"},
    ),
    Case(
        "integrity-profile-unknown",
        ("integrity", "--trail", "t1x", "--since", "2026-01-01", "--profile", "nope"),
        2,
        "The config profile (nope) could not be found",
    ),
    Case("endpoint-down", ("verify", "--trail", "t1x", "--json"), 3, "could not reach AWS: sts GetCallerIdentity"),
    Case("throttled", ("verify", "--trail", "t1x", "--json"), 3, "could not reach AWS: sts GetCallerIdentity"),
    Case("http-503", ("verify", "--trail", "t1x", "--json"), 3, "could not reach AWS: sts GetCallerIdentity"),
    Case(
        "integrity-wait-inf", ("integrity", "--trail", "t1x", "--since", "2026-01-01", "--wait", "inf"), 2, WAIT_RANGE
    ),
    Case(
        "integrity-both-modes",
        ("integrity", "--trail", "t1x", "--since", "2026-01-01", "--log-key", "k"),
        2,
        "give either --log-key (one or more) or --since",
    ),
    Case("integrity-since-word", ("integrity", "--trail", "t1x", "--since", "yesterday"), 2, "not an ISO 8601 time"),
    Case(
        "integrity-arn-bad-region",
        ("integrity", "--trail", "arn:aws:cloudtrail:bad region!:123456789012:trail/x1y", "--since", "2026-01-01"),
        2,
        "('bad region!' is not a region name)",
    ),
    Case(
        "integrity-no-region",
        ("integrity", "--trail", "t1x", "--since", "2026-01-01"),
        2,
        "no region: pass --region, set AWS_REGION, or give the trail's ARN",
        env={"AWS_REGION": None, "AWS_DEFAULT_REGION": None},
    ),
    Case(
        "integrity-endpoint-down",
        ("integrity", "--trail", ARN, "--since", "2026-01-01", "--json"),
        3,
        "Could not connect to the endpoint URL",
    ),
]
ENDPOINTS = {"endpoint-down": "down", "throttled": "throttling", "http-503": "unavailable"}


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """One attempt instead of five: the classification is the same, without the back-off sleeps. Every command
    makes its clients through the one ``client_config``, so this one patch reaches them all."""
    original = ebtrail.verifier.aws.client_config
    monkeypatch.setattr(ebtrail.verifier.aws, "client_config", lambda: original(total_max_attempts=1))


@pytest.mark.parametrize("case", VERIFY_CASES, ids=[c.id for c in VERIFY_CASES])
def test_refused(case: Case, failing_endpoints: dict[str, str], quick_retries: None) -> None:
    env: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": None,
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        # Nothing may reach real AWS: every case fails before its first request or meets a failing endpoint.
        "AWS_ENDPOINT_URL": failing_endpoints[ENDPOINTS.get(case.id, "down")],
        **case.env,
    }
    result = CliRunner(env=env).invoke(cli, list(case.args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert_refused(result.exit_code, result.stdout, result.stderr, case.exit_code, case.message)
