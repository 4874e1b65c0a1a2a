"""``ebtrail-verify integrity`` against ``aws cloudtrail validate-logs`` over the same signed chain (run by hand)::

    .venv/bin/python bench/integrity_bench.py                 # 72 hourly digests x 12 log files, then 10x for memory
    .venv/bin/python bench/integrity_bench.py --hours 24 --no-memory

Set-up, all on this machine:
- ``moto_server`` (started as the tests start it, ``tests/verifier/moto_server.py``) holds the bucket, the trail
  (CreateTrail, so that GetTrail and DescribeTrails answer) and a signed chain written the way CloudTrail writes
  it (:func:`build_chain`, with the tests' ``TrailWriter``): ``--hours`` hourly digests, each listing
  ``--logs-per-hour`` gzip log files, every digest chained to the previous one and signed SHA256withRSA.
- A proxy on 127.0.0.1 in front of it adds ``--latency`` (20 ms, an S3 round trip) to every request and counts the
  requests of each run by operation. moto has no ``ListPublicKeys``: the proxy answers it itself with the chain's
  public key (the one thing served outside moto; both tools get the same answer).
- aws-cli v1 (PyPI ``awscli``, pinned below) is installed by this script into a venv of its own under the temporary
  directory (``/tmp/ebtrail-bench-awscli-<version>``; not a project dependency). Both tools reach the proxy through
  ``AWS_ENDPOINT_URL``, with fake credentials and no profile.

Reported: each tool's wall time, its requests (and by operation), the ratio ebtrail / aws-cli (goal <= 0.1), that
both found every file valid, and ebtrail's peak memory (maxrss of its process) at 1x and 10x the range
(goal: 10x within 1.5x of 1x). Results also go to ``bench/results/integrity_bench.json``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from tests.verifier.integrity_fixtures import SigningKey, TrailWriter, iso  # noqa: E402
from tests.verifier.moto_server import fake_aws_env, moto_server, operation_of  # noqa: E402

AWSCLI_VERSION = "1.46.2"
#: Outside the work tree, so that no linter or type checker of the project walks into it.
AWSCLI_VENV = Path(tempfile.gettempdir()) / f"ebtrail-bench-awscli-{AWSCLI_VERSION}"
RESULTS = ROOT / "bench" / "results" / "integrity_bench.json"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account: the trail's ARN and the digest keys agree
START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


# --- the chain ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    trail: str
    bucket: str
    prefix: str
    hours: int
    logs_per_hour: int
    start: datetime

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{self.trail}"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)

    @property
    def files(self) -> int:
        return self.hours * (1 + self.logs_per_hour)


def build_chain(s3: Any, key: SigningKey, chain: Chain) -> TrailWriter:
    """Write ``chain.hours`` hourly digests, each listing ``chain.logs_per_hour`` log files delivered in its hour
    and chained to the previous digest, into ``chain.bucket`` (which must exist)."""
    writer = TrailWriter(
        s3=s3, key=key, bucket=chain.bucket, prefix=chain.prefix, account=ACCOUNT, region=REGION, trail=chain.trail
    )
    previous = None
    step = 60 // (chain.logs_per_hour + 1)
    for hour in range(chain.hours):
        begin = chain.start + timedelta(hours=hour)
        logs = [
            writer.put_log(begin + timedelta(minutes=1 + step * i), [{"eventID": f"{hour}-{i}", "n": "x" * 200}])
            for i in range(chain.logs_per_hour)
        ]
        previous = writer.put_digest(begin, logs, previous=previous)
    return writer


def deploy(endpoint: str, key: SigningKey, chain: Chain) -> Any:
    """The bucket, a trail with log file validation on, and the chain, in moto_server (directly, not via the proxy).
    Returns the S3 client used."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=chain.bucket)
    session.client("cloudtrail", endpoint_url=endpoint).create_trail(
        Name=chain.trail, S3BucketName=chain.bucket, S3KeyPrefix=chain.prefix, EnableLogFileValidation=True
    )
    build_chain(s3, key, chain)
    return s3


# --- the proxy ------------------------------------------------------------------------------------------------------


@dataclass
class LatencyProxy:
    """127.0.0.1 only: ``latency`` seconds before every request, forwarded to moto_server on one kept-alive
    connection per proxy thread; ``ListPublicKeys`` answered here. Counts requests by operation."""

    upstream: str
    latency: float
    public_key: SigningKey
    counts: Counter[str] = field(default_factory=Counter)
    replay: dict[str, tuple[int, list[tuple[str, str]], bytes]] = field(default_factory=dict)
    """GetObject answers of moto_server by path, taken once before the runs (see :meth:`snapshot`)."""

    def __post_init__(self) -> None:
        self._recording = False
        self._lock = threading.Lock()
        self._local = threading.local()
        port = int(self.upstream.rsplit(":", 1)[1])
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, response_headers, payload = proxy.answer(self.command, self.path, headers, body, port)
                self.send_response(status)
                for name, value in response_headers:
                    if name.lower() not in {"content-length", "transfer-encoding", "connection", "server", "date"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_HEAD = _any  # noqa: N815 - http.server's names

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, port: int
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        time.sleep(self.latency)
        operation = operation_of(headers, body) or _s3_operation(method, path)
        with self._lock:
            self.counts[operation] += 1
        if operation == "ListPublicKeys":
            return 200, [("Content-Type", "application/x-amz-json-1.1")], self._public_keys()
        if method == "GET" and path in self.replay and not self._recording:
            with self._lock:
                self.counts["(GetObject answers replayed)"] += 1
            return self.replay[path]
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection("localhost", port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.status, response.getheaders(), response.read()
        except (http.client.HTTPException, OSError):
            self._local.connection = None
            raise
        if self._recording and method == "GET" and "?" not in path and answer[0] == 200:
            self.replay[path] = answer
        return answer

    def snapshot(self, bucket: str) -> int:
        """Take moto_server's GetObject answer for every object of ``bucket``, to be replayed by path.

        Why: moto_server is one Python process. On this shared 2-core machine its CPU per GetObject is tens of
        milliseconds, more than the 20 ms round trip the bench is about, and it would serve a parallel client no
        faster than a sequential one: the bench would measure the emulator. S3's own time is inside the 20 ms. The
        answers are moto's (same bytes, same headers), taken before either tool runs (one signed GetObject each,
        through this proxy without latency) and replayed to both alike; every other request (listings, GetTrail,
        DescribeTrails, GetBucketLocation) still goes to moto_server.
        """
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        s3 = session.client("s3", endpoint_url=self.endpoint)
        latency, self.latency, self._recording = self.latency, 0.0, True
        try:
            taken = 0
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    taken += 1
        finally:
            self.latency, self._recording = latency, False
            self.reset()
        return taken

    def _public_keys(self) -> bytes:
        key = {
            "Value": base64.b64encode(self.public_key.der).decode(),
            "Fingerprint": self.public_key.fingerprint,
            "ValidityStartTime": (START - timedelta(days=400)).timestamp(),
            "ValidityEndTime": (START + timedelta(days=400)).timestamp(),
        }
        return json.dumps({"PublicKeyList": [key]}).encode()

    def reset(self) -> Counter[str]:
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _s3_operation(method: str, path: str) -> str:
    """S3 (REST, no X-Amz-Target): enough to count what the tools do."""
    if method == "GET" and "?" in path:
        query = path.split("?", 1)[1]
        if "location" in query.split("&"):
            return "GetBucketLocation"
        return "ListObjectsV2" if "list-type=2" in query else "ListObjects"
    return {"GET": "GetObject", "HEAD": "HeadObject"}.get(method, method)


# --- the two tools --------------------------------------------------------------------------------------------------


@dataclass
class Measured:
    tool: str
    wall_seconds: float
    requests: int
    by_operation: dict[str, int]
    exit_code: int
    valid_digests: int
    valid_logs: int
    invalid: int
    peak_rss_mib: float
    get_object_replayed: int = 0


def ensure_awscli() -> Path:
    """aws-cli v1 ``==AWSCLI_VERSION`` in a venv of its own (created once)."""
    aws = AWSCLI_VENV / "bin" / "aws"
    if aws.exists():
        version = subprocess.run([str(aws), "--version"], capture_output=True, text=True, check=False)
        if f"aws-cli/{AWSCLI_VERSION} " in version.stdout + version.stderr:
            return aws
    subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True)
    subprocess.run([str(AWSCLI_VENV / "bin" / "pip"), "install", "-q", f"awscli=={AWSCLI_VERSION}"], check=True)
    return aws


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int, str, str, float]:
    """Wall time, exit code, stdout, stderr and peak RSS (MiB) of one process (``os.wait4``: its own rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, process.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss / 1024


def run_ebtrail(proxy: LatencyProxy, chain: Chain, workers: int) -> Measured:
    env = fake_aws_env(proxy.endpoint)
    command = [sys.executable, "-m", "ebtrail.verifier", "integrity", "--trail", chain.trail]
    command += ["--since", iso(chain.start), "--json", "--workers", str(workers)]
    proxy.reset()
    wall, code, stdout, stderr, rss = run_measured(command, env)
    counts = proxy.reset()
    replayed = counts.pop("(GetObject answers replayed)", 0)
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"ebtrail printed no JSON (exit {code}): {stderr[-2000:]}") from None
    digests = sum(1 for f in report["files"] if f["kind"] == "digest" and f["status"] == "valid")
    logs = sum(1 for f in report["files"] if f["kind"] == "log" and f["status"] == "valid")
    invalid = sum(n for status, n in report["summary"].items() if status != "valid")
    return Measured("ebtrail", wall, sum(counts.values()), dict(counts), code, digests, logs, invalid, rss, replayed)


def run_awscli(aws: Path, proxy: LatencyProxy, chain: Chain) -> Measured:
    env = fake_aws_env(proxy.endpoint)
    env.pop("PYTHONPATH", None)
    env["AWS_DEFAULT_REGION"] = REGION
    command = [str(aws), "cloudtrail", "validate-logs", "--trail-arn", chain.arn, "--region", REGION]
    command += ["--start-time", iso(chain.start), "--end-time", iso(chain.end - timedelta(minutes=1))]
    proxy.reset()
    wall, code, stdout, stderr, rss = run_measured(command, env)
    counts = proxy.reset()
    replayed = counts.pop("(GetObject answers replayed)", 0)
    found = {
        name: (int(valid), int(total))
        for valid, total, name in re.findall(r"(\d+)/(\d+) (digest|log) files valid", stdout)
    }
    if "digest" not in found:
        raise SystemExit(f"aws-cli validate-logs found nothing (exit {code}):\n{stdout[-2000:]}\n{stderr[-2000:]}")
    invalid = sum(total - valid for valid, total in found.values())
    return Measured(
        "aws-cli",
        wall,
        sum(counts.values()),
        dict(counts),
        code,
        found["digest"][0],
        found.get("log", (0, 0))[0],
        invalid,
        rss,
        replayed,
    )


@contextmanager
def bench_environment(latency: float, key: SigningKey) -> Iterator[tuple[str, LatencyProxy]]:
    with moto_server() as endpoint:
        proxy = LatencyProxy(endpoint, latency, key)
        try:
            yield endpoint, proxy
        finally:
            proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--logs-per-hour", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds added to every request")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--no-memory", action="store_true", help="skip the 10x range (peak memory)")
    parser.add_argument(
        "--no-replay",
        action="store_true",
        help="every GetObject through moto_server too (measures the emulator's CPU; see LatencyProxy.snapshot)",
    )
    args = parser.parse_args()

    aws = ensure_awscli()
    key = SigningKey.generate()
    one = Chain("bench-trail", "bench-archive", "archive", args.hours, args.logs_per_hour, START)
    ten = Chain("bench-trail-10x", "bench-archive-10x", "archive", 10 * args.hours, args.logs_per_hour, START)
    with bench_environment(args.latency, key) as (endpoint, proxy):
        print(f"writing {one.files} files ({one.hours} digests x {one.logs_per_hour} log files) into moto_server ...")
        deploy(endpoint, key, one)
        if not args.no_replay:
            proxy.snapshot(one.bucket)
        awscli = run_awscli(aws, proxy, one)
        ebtrail = run_ebtrail(proxy, one, args.workers)
        ebtrail_10x = None
        if not args.no_memory:
            print(f"writing {ten.files} files (10x) ...")
            deploy(endpoint, key, ten)
            if not args.no_replay:
                proxy.snapshot(ten.bucket)
            ebtrail_10x = run_ebtrail(proxy, ten, args.workers)

    ratio = ebtrail.wall_seconds / awscli.wall_seconds
    results: dict[str, Any] = {
        "chain": {"digests": one.hours, "log_files": one.hours * one.logs_per_hour, "latency_ms": args.latency * 1e3},
        "awscli_version": AWSCLI_VERSION,
        "workers": args.workers,
        "get_object_replayed": not args.no_replay,
        "aws-cli": asdict(awscli),
        "ebtrail": asdict(ebtrail),
        "wall_time_ratio": round(ratio, 4),
        "request_ratio": round(ebtrail.requests / awscli.requests, 4),
    }
    print(
        f"\n{'':10} {'wall s':>8} {'requests':>9} {'valid digests':>14} {'valid logs':>11} {'invalid':>8} {'exit':>5}"
    )
    for m in (awscli, ebtrail):
        print(
            f"{m.tool:10} {m.wall_seconds:8.2f} {m.requests:9d} {m.valid_digests:14d} {m.valid_logs:11d} "
            f"{m.invalid:8d} {m.exit_code:5d}"
        )
    print(f"aws-cli requests: {awscli.by_operation}\nebtrail requests: {ebtrail.by_operation}")
    print(f"GetObject answers replayed: aws-cli {awscli.get_object_replayed}, ebtrail {ebtrail.get_object_replayed}")
    print(f"wall time ebtrail / aws-cli = {ratio:.3f} (goal <= 0.1); requests {results['request_ratio']:.3f}")
    expected = (one.hours, one.hours * one.logs_per_hour)
    for m in (awscli, ebtrail):
        if (m.valid_digests, m.valid_logs, m.invalid, m.exit_code) != (*expected, 0, 0):
            print(f"WARNING: {m.tool} did not find every file valid: {m}")
    if ebtrail_10x is not None:
        memory = ebtrail_10x.peak_rss_mib / ebtrail.peak_rss_mib
        results["ebtrail_10x"] = asdict(ebtrail_10x)
        results["peak_memory_ratio_10x"] = round(memory, 3)
        print(
            f"ebtrail peak RSS: {ebtrail.peak_rss_mib:.1f} MiB at 1x ({one.files} files), "
            f"{ebtrail_10x.peak_rss_mib:.1f} MiB at 10x ({ten.files} files, {ebtrail_10x.wall_seconds:.1f} s, "
            f"{ebtrail_10x.requests} requests): {memory:.2f}x (goal <= 1.5x)"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
