"""Seconds from SIGTERM to the verifier's exit, cleanup included, against a real ``moto_server`` (run by hand)::

    .venv/bin/python bench/verifier_signal_bench.py [--runs 7]

Each run starts ``python -m verifier verify --json`` against moto_server, waits until the probe application exists
(the verifier is then waiting for the record), sends SIGTERM, and measures until the process has exited. It checks
the exit code (143) and that nothing is left in moto (application, queue, subscription). The requirement is
cleanup within 10 s of the signal when AWS answers. Also reported, for scale: the process start-up alone
(``verify --help``).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.verifier.moto_server import (
    NOTHING_LEFT,
    PREFIX,
    REPO_ROOT,
    deploy_trail,
    fake_aws_env,
    leftovers,
    moto_server,
    start_verifier,
)


def _wait_for_application(session: boto3.Session, endpoint: str, timeout: float = 60) -> None:
    eb = session.client("elasticbeanstalk", endpoint_url=endpoint)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(a["ApplicationName"].startswith(PREFIX) for a in eb.describe_applications()["Applications"]):
            return
        time.sleep(0.02)
    raise RuntimeError("the verifier made no call")


def one_run(session: boto3.Session, endpoint: str) -> float:
    process = start_verifier(endpoint, "--timeout", "120", "--json")
    _wait_for_application(session, endpoint)
    time.sleep(0.5)  # well inside the wait for the record
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    seconds = time.monotonic() - sent
    out = json.loads(stdout)
    assert process.returncode == 143, (process.returncode, stderr)
    assert out["cleanup"] == {"application_deleted": True, "queue_deleted": True, "unsubscribed": True}, out
    assert leftovers(session, endpoint) == NOTHING_LEFT
    return seconds


def startup(endpoint: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "ebtrail.verifier", "verify", "--help"],
        cwd=REPO_ROOT,
        env=fake_aws_env(endpoint),
        capture_output=True,
        check=True,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with moto_server() as endpoint:
        session = deploy_trail(endpoint)
        seconds = [one_run(session, endpoint) for _ in range(args.runs)]
        starts = [startup(endpoint) for _ in range(3)]
    print(f"SIGTERM to exit with cleanup, {args.runs} runs against moto_server (exit 143, nothing left each time):")
    print(f"  median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s, min {min(seconds):.2f} s")
    print(f"  all: {', '.join(f'{s:.2f}' for s in seconds)}")
    print(f"process start-up alone (verify --help), median of 3: {statistics.median(starts):.2f} s")
    print(f"requirement: <= 10 s; worst run / requirement = {max(seconds) / 10:.2f}")


if __name__ == "__main__":
    main()
