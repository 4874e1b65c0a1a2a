"""Benchmarks of ``verifier verify`` (run by hand, not as tests)::

    .venv/bin/python bench/verifier_bench.py            # all three
    .venv/bin/python bench/verifier_bench.py --only b   # one of them

(a) S3 requests per verification against the number of objects already in the day's folder (moto in-process,
    requests counted with a botocore event hook). Aim: constant.
(b) Scan throughput of log files (MB/s and records/s of compressed input) against zlib decompression alone on
    the same files. Aim: ratio >= 0.5.
(c) Detection delay after a file lands, on the SNS channel (moto in-process, real clock, SQS long polling).
    Aim: <= 1 s.

The CloudTrail double, fake clock and moto deployment come from ``tests/verifier/verify_double.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from ebtrail.verifier.records import ProbeSignature, find_match, inflate, parse_records, scan_bytes  # noqa: E402
from ebtrail.verifier.verify.run import Progress, Settings, run  # noqa: E402
from tests.verifier.verify_double import (  # noqa: E402
    ACCOUNT,
    BUCKET,
    REGION,
    TRAIL,
    ApiCalls,
    CallSeen,
    CloudTrailDouble,
    FakeClock,
    deploy,
    key_for,
    random_suffix,
    unrelated_record,
)

CALL_AT = datetime(2026, 3, 14, 23, 30, 5, tzinfo=UTC)


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


@contextmanager
def fake_aws() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --- (a) --------------------------------------------------------------------------------------------------------


def _prefill(count: int, rng: random.Random) -> float:
    """``count`` log files delivered earlier the same day, inserted straight into moto's S3 backend (a
    PutObject per file through boto3 would take minutes at 100,000)."""
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    body = gzip.compress(json.dumps({"Records": []}).encode())
    start = time.perf_counter()
    day_start = CALL_AT.replace(hour=0, minute=0, second=0)
    span = (CALL_AT - timedelta(minutes=10) - day_start).total_seconds()
    for i in range(count):
        when = day_start + timedelta(seconds=span * i / max(count, 1))
        backend.put_object(BUCKET, key_for(ACCOUNT, REGION, when, random_suffix(rng)), body)
    return time.perf_counter() - start


def bench_s3_requests(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        with fake_aws():
            session = boto3.Session(region_name=REGION)
            dep = deploy(session, topic=False)  # S3 channel only
            fill = _prefill(n, random.Random(n))
            folder = f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{CALL_AT:%Y/%m/%d}/"
            held = sum(
                1
                for page in dep.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=folder)
                for _ in page.get("Contents", [])
            )
            assert held == n, (held, n)
            clock = FakeClock(CALL_AT)
            CloudTrailDouble(dep, clock, delay=300).install()
            api = ApiCalls(session)
            started = time.perf_counter()
            result = run(session, TRAIL, REGION, settings=Settings(timeout=900, sns_wait_seconds=0), clock=clock)
            wall = time.perf_counter() - started
            assert result.confirmed, result.to_json()["problems"]
            lists, gets = api.count("s3", "ListObjectsV2"), api.count("s3", "GetObject")
            rows.append(
                [
                    f"{n:,}",
                    str(result.channels["s3"].polls),
                    str(lists),
                    str(gets),
                    str(lists + gets),
                    f"{(lists + gets) / result.channels['s3'].polls:.2f}",
                    f"{result.channels['s3'].polls * -(-(n + 1) // 1000):,}",
                    f"{fill:.1f}s",
                    f"{wall:.1f}s",
                ]
            )
    table(
        "(a) S3 requests per verification (delivery 300 s after the call, 10 s polls; S3 channel only)",
        [
            "objects before",
            "polls",
            "ListObjectsV2",
            "GetObject",
            "S3 requests",
            "per poll",
            "full listing would need",
            "prefill",
            "run (moto)",
        ],
        rows,
    )
    print(
        "   aim: constant. 'full listing would need': ListObjectsV2 pages if every poll listed the whole folder.\n"
        "   'run (moto)' is moto's own listing cost (it scans every key in-process), not AWS's."
    )


# --- (b) --------------------------------------------------------------------------------------------------------


def _realistic_record(rng: random.Random, when: datetime) -> dict[str, Any]:
    r = unrelated_record(rng, when)
    r["userAgent"] = (
        "aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.5 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#standard"
    )
    r["tlsDetails"] = {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": "elasticbeanstalk.us-east-1.amazonaws.com",
    }
    r["userIdentity"]["sessionContext"] = {
        "sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/deployer", "userName": "deployer"},
        "attributes": {"creationDate": "2026-03-14T11:02:44Z", "mfaAuthenticated": "false"},
    }
    r["resources"] = [{"ARN": f"arn:aws:s3:::bucket-{rng.randrange(10**6)}", "type": "AWS::S3::Bucket"}]
    r["managementEvent"] = True
    r["readOnly"] = rng.random() < 0.8
    r["eventCategory"] = "Management"
    return r


def bench_scan(files: int, records_per_file: int, repeats: int) -> None:
    rng = random.Random(42)
    now = CALL_AT
    blobs = []
    n_records = files * records_per_file
    for _ in range(files):
        recs = [_realistic_record(rng, now) for _ in range(records_per_file)]
        blobs.append(gzip.compress(json.dumps({"Records": recs}).encode(), compresslevel=6))
    compressed = sum(len(b) for b in blobs)
    raw_total = sum(len(zlib.decompress(b, 31)) for b in blobs)
    sig = ProbeSignature("6a1f9a8e-0000-4000-8000-00000000beef", "CreateApplication", "ebtrail-verify-x-0123456789ab")
    chunk = 1 << 20

    def chunks(b: bytes) -> list[bytes]:
        return [b[i : i + chunk] for i in range(0, len(b), chunk)]

    def zlib_only() -> None:
        for b in blobs:
            zlib.decompress(b, 31)

    def verifier_scan() -> None:
        for b in blobs:
            assert scan_bytes(inflate(chunks(b)), sig) is None

    def full_parse() -> None:
        for b in blobs:
            assert find_match(parse_records(inflate(chunks(b))), sig) is None

    def best(fn: Any) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    t_zlib, t_scan, t_parse = best(zlib_only), best(verifier_scan), best(full_parse)
    mb = compressed / 1e6
    rows = [
        ["zlib decompression alone", f"{mb / t_zlib:.1f}", f"{n_records / t_zlib:,.0f}", "1.00"],
        [
            "verifier scan (inflate + substring prefilter)",
            f"{mb / t_scan:.1f}",
            f"{n_records / t_scan:,.0f}",
            f"{t_zlib / t_scan:.2f}",
        ],
        [
            "full JSON parse of every record (reference)",
            f"{mb / t_parse:.1f}",
            f"{n_records / t_parse:,.0f}",
            f"{t_zlib / t_parse:.2f}",
        ],
    ]
    table(
        f"(b) scan throughput: {files} files x {records_per_file} records, {mb:.1f} MB compressed "
        f"({raw_total / 1e6:.1f} MB JSON), best of {repeats}",
        ["path", "MB/s (compressed)", "records/s", "ratio to zlib"],
        rows,
    )
    print("   aim: verifier scan >= 0.5 of zlib. Files without the request ID or application name are not parsed.")


# --- (c) --------------------------------------------------------------------------------------------------------


def _sns_delay_once(offset: float) -> tuple[float, float]:
    """One verification where the file lands ``offset`` s after the call; returns the detection delay since
    the file was written and since its notification was published."""
    with fake_aws():
        session = boto3.Session(region_name=REGION)
        dep = deploy(session)
        marks: dict[str, float] = {}

        def after_call(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
            request_id = parsed["ResponseMetadata"]["RequestId"]
            name = parsed["Application"]["ApplicationName"]
            called = time.monotonic()

            def land() -> None:
                # the double gets its own session: boto3 sessions are not thread-safe
                s = boto3.Session(region_name=REGION)
                double = CloudTrailDouble(replace(dep, session=s), FakeClock(datetime.now(UTC)), noise=500)
                s.client("s3"), s.client("sns")  # warm up client creation before the timed part
                time.sleep(max(0.0, called + offset - time.monotonic()))
                call = CallSeen(request_id, name, datetime.now(UTC))
                marks["write"] = time.monotonic()
                double.deliver(call)  # PutObject, then the SNS notification
                marks["published"] = time.monotonic()

            threading.Thread(target=land, daemon=True).start()

        def on_progress(p: Progress) -> None:
            sns = p.channels.get("sns")
            if sns is not None and sns.state == "arrived" and "detected" not in marks:
                marks["detected"] = time.monotonic()

        session.events.register("after-call.elastic-beanstalk.CreateApplication", after_call)
        settings = Settings(timeout=30, s3_interval=3600, sns_wait_seconds=1, event_history_interval=3600)
        result = run(session, TRAIL, REGION, settings=settings, on_progress=on_progress)
        assert result.confirmation is not None and result.confirmation.channel == "sns", result.to_json()
        return marks["detected"] - marks["write"], marks["detected"] - marks["published"]


def bench_sns_delay(offsets: list[float]) -> None:
    rows = []
    delays = []
    for offset in offsets:
        since_write, since_notice = _sns_delay_once(offset)
        delays.append(since_write)
        rows.append([f"{offset:.2f}", f"{since_write:.3f}", f"{since_notice:.3f}"])
    table(
        "(c) detection delay on the SNS channel (SQS long polling 1 s; moto in-process, real clock)",
        ["file lands after call (s)", "delay since PutObject (s)", "since SNS publish returned (s)"],
        rows,
    )
    print(
        f"   median {statistics.median(delays):.3f} s, max {max(delays):.3f} s since the file was written; aim <= 1 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["a", "b", "c"], action="append")
    parser.add_argument("--sizes", default="100,1000,10000,100000", help="(a) objects already in the folder")
    args = parser.parse_args()
    which = args.only or ["a", "b", "c"]
    if "a" in which:
        bench_s3_requests([int(s) for s in args.sizes.split(",")])
    if "b" in which:
        bench_scan(files=40, records_per_file=1500, repeats=3)
    if "c" in which:
        bench_sns_delay([0.5, 1.0, 1.25, 1.6, 2.05, 2.4, 2.9])


if __name__ == "__main__":
    main()
