"""A real ``moto_server`` process and a proxy in front of it that can hold one AWS operation, so that a test can
send a signal to the verifier at an exact moment (while it waits for that operation's answer).

The verifier runs as a subprocess with ``AWS_ENDPOINT_URL`` pointing at the proxy, as a user would point it at
``moto_server``; the test inspects moto directly.
"""

from __future__ import annotations

import fcntl
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
BUCKET = "ebtrail-signal-logs"
TOPIC = "ebtrail-signal-delivery"
TRAIL = "ebtrail-signal"
PREFIX = "ebtrail-verify-"


#: The port reservations of this process (see :func:`free_port`), held until it exits.
_RESERVED: list[IO[bytes]] = []
_RESERVATIONS = Path(tempfile.gettempdir()) / "ebtrail-test-ports"


def free_port() -> int:
    """A port free now and reserved for this process: under pytest-xdist, two workers (or two suites on one
    machine) could otherwise both be handed the same port between its ``bind`` here and moto_server's own, and
    one test would talk to the other's server. The reservation is an exclusive ``flock`` on a file named after
    the port, held until the process exits; a port another process holds is skipped."""
    _RESERVATIONS.mkdir(exist_ok=True)
    while True:
        with socket.socket() as sock:
            sock.bind(("localhost", 0))
            port = int(sock.getsockname()[1])
        lock = (_RESERVATIONS / str(port)).open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        _RESERVED.append(lock)
        return port


def fake_aws_env(endpoint: str) -> dict[str, str]:
    """The environment of a verifier run against ``endpoint``: fake credentials, the region only through
    AWS_REGION (the documented moto set-up), no profile, nothing from the developer's ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


@contextmanager
def moto_server() -> Iterator[str]:
    """Start ``moto_server`` on a free port; yields its endpoint (localhost, as the guide asks)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("localhost", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def operation_of(headers: dict[str, str], body: bytes) -> str:
    """The AWS operation of a request: ``X-Amz-Target`` (JSON protocols) or ``Action=`` (query protocol)."""
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return action[0] if action else ""


@dataclass
class Hold:
    """Hold the first request of ``operation``: ``reached`` is set when it arrives (after moto carried it out, with
    ``forward_first``), and the proxy answers only after ``release`` (or never forwards it, with ``drop``)."""

    operation: str
    forward_first: bool = False
    drop: bool = False
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class HoldingProxy:
    """Forwards every request to moto_server, holding the one operation a test asked for."""

    def __init__(self, upstream: str) -> None:
        self.upstream_port = int(upstream.rsplit(":", 1)[1])
        self.holds: list[Hold] = []
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                proxy.handle(self, headers, body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any  # noqa: N815 - http.server's names

        self.server = ThreadingHTTPServer(("localhost", free_port()), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://localhost:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def hold(self, operation: str, *, forward_first: bool = False, drop: bool = False) -> Hold:
        hold = Hold(operation, forward_first=forward_first, drop=drop)
        self.holds.append(hold)
        return hold

    def close(self) -> None:
        for hold in self.holds:
            hold.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _take_hold(self, operation: str) -> Hold | None:
        for hold in self.holds:
            if hold.operation == operation and not hold.reached.is_set():
                return hold
        return None

    def handle(self, handler: BaseHTTPRequestHandler, headers: dict[str, str], body: bytes) -> None:
        operation = operation_of(headers, body)
        self.seen.append(operation)
        hold = self._take_hold(operation)
        response: tuple[int, list[tuple[str, str]], bytes] | None = None
        if hold is not None and hold.forward_first:
            response = self._forward(handler.command, handler.path, headers, body)
        if hold is not None:
            hold.reached.set()
            hold.release.wait(timeout=60)
            if hold.drop:
                response = (500, [], b"")
        if response is None:
            response = self._forward(handler.command, handler.path, headers, body)
        status, response_headers, payload = response
        try:
            handler.send_response(status)
            for name, value in response_headers:
                if name.lower() not in {"content-length", "transfer-encoding", "connection", "server", "date"}:
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the verifier stopped listening (that is the point of most holds)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection("localhost", self.upstream_port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()


def deploy_trail(endpoint: str) -> boto3.Session:
    """A logging multi-region trail with a delivery topic in moto_server; returns a session pointed at it."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    session.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    session.client("sns", endpoint_url=endpoint).create_topic(Name=TOPIC)
    cloudtrail = session.client("cloudtrail", endpoint_url=endpoint)
    cloudtrail.create_trail(Name=TRAIL, S3BucketName=BUCKET, SnsTopicName=TOPIC, IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name=TRAIL)
    return session


def leftovers(session: boto3.Session, endpoint: str) -> dict[str, list[str]]:
    """What a verifier run may have created and not removed: probe applications, queues, subscriptions."""
    eb = session.client("elasticbeanstalk", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    sns = session.client("sns", endpoint_url=endpoint)
    return {
        "applications": [
            a["ApplicationName"]
            for a in eb.describe_applications()["Applications"]
            if a["ApplicationName"].startswith(PREFIX)
        ],
        "queues": sqs.list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []),
        "subscriptions": [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]],
    }


NOTHING_LEFT: dict[str, list[str]] = {"applications": [], "queues": [], "subscriptions": []}


def start_verifier(endpoint: str, *args: str) -> subprocess.Popen[str]:
    """``ebtrail-verify verify --trail TRAIL ARGS`` against ``endpoint``."""
    return start_command(endpoint, "verify", "--trail", TRAIL, *args)


def start_command(endpoint: str, *args: str) -> subprocess.Popen[str]:
    """``ebtrail-verify ARGS`` against ``endpoint``, its stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "ebtrail.verifier", *args],
        cwd=REPO_ROOT,
        env=fake_aws_env(endpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
