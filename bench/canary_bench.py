"""The delivery canary: one run's duration and peak memory against moto, time from a broken trail to an alarm,
and the monthly cost per trail.

    .venv/bin/python bench/canary_bench.py [--files 2000] [--rounds 5]

(a) A run that checks one probe (arrived 5 minutes after its call) with ``--files`` earlier log files already in
    the day's folder, against a baseline run with none, alternating, moto in-process; wall time and
    ``tracemalloc`` peak of the run, and the median ratio.
(b) Time from a broken trail to an alarm at the default rate, computed from the alarm settings.
(c) Monthly cost per trail at the default rate, from the dated price table below.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from ebtrail.lambdas.canary import CanarySettings, ExpectedTrail, run_canary  # noqa: E402
from ebtrail.verifier.aws import Clients  # noqa: E402
from tests.verifier.verify_double import (  # noqa: E402
    ACCOUNT,
    REGION,
    CloudTrailDouble,
    FakeClock,
    deploy,
    gz_log,
    key_for,
    random_suffix,
    unrelated_record,
)

START = datetime(2026, 3, 14, 12, 0, 5, tzinfo=UTC)


def one_run(earlier_files: int) -> tuple[float, int]:
    """Seconds and peak bytes of the run that checks a delivered probe, with ``earlier_files`` in the folder."""
    import random

    with mock_aws():
        session = boto3.Session(region_name=REGION)
        clock = FakeClock(START)
        dep = deploy(session, topic=False, prefix="archive")
        session.client("cloudtrail", region_name=REGION).update_trail(Name=dep.trail_name, EnableLogFileValidation=True)
        rng = random.Random(1)
        s3 = session.client("s3", region_name=REGION)
        for i in range(earlier_files):  # the day's earlier deliveries, before the probe's call
            when = START - timedelta(hours=11) + timedelta(seconds=19 * i)
            records = [unrelated_record(rng, when) for _ in range(20)]
            s3.put_object(
                Bucket=dep.bucket,
                Key=key_for(ACCOUNT, REGION, when, random_suffix(rng), prefix="archive"),
                Body=gz_log(records),
            )
        CloudTrailDouble(dep, clock, delay=300, noise=200).install()
        settings = CanarySettings(
            expected=ExpectedTrail(dep.trail_arn, dep.bucket, "archive", None, organization=False)
        )
        clients = Clients.create(session, REGION)
        run_canary(clients, settings, clock)  # makes the probe
        clock.sleep(3600)
        tracemalloc.start()
        started = time.perf_counter()
        report = run_canary(clients, settings, clock)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert [p.state for p in report.probes] == ["arrived"], report.as_dict()
        return seconds, peak


def time_to_alarm(rate_minutes: int = 60, max_delivery_minutes: int = 30) -> dict[str, tuple[float, float]]:
    """(typical, worst) minutes from the break to the alarm, from the alarm settings.

    A break happens uniformly within a period; the next run sees it (0 to one period, typical half). CloudWatch
    evaluates an alarm about every minute on the latest complete datapoints; 1 minute added for the evaluation.
    ``ProbeArrived``: the first probe made after the break is decided at the run after it (``max_delivery`` is
    shorter than the period), giving an explicit 0; the alarm takes one period below 1 (ebtrail.core.canary
    ALARM_RULES). A dead canary: the ``CanaryRan`` heartbeat alarm goes to INSUFFICIENT_DATA (which notifies)
    once 2 periods hold no datapoint.
    """
    period = float(rate_minutes)
    decided_after = period * max(1, -(-max_delivery_minutes // rate_minutes))
    return {
        "TrailLogging / ConfigDrift / DeliveryErrors": (period / 2 + 1, period + 1),
        "ProbeArrived (delivery broken)": (period / 2 + decided_after + 1, period + decided_after + 1),
        "CanaryRan (canary dead)": (2 * period + period / 2 + 1, 3 * period + 1),
    }


#: us-east-1 list prices in USD from the AWS pricing pages below, as the author knew them on 2026-11-27 (this session
#: had no internet access to re-read the pages: re-check them before relying on the total); no free tier.
PRICES = {
    "lambda_arm_gb_second": (0.0000133334, "https://aws.amazon.com/lambda/pricing/"),
    "lambda_request": (0.20 / 1_000_000, "https://aws.amazon.com/lambda/pricing/"),
    "s3_list_request": (0.005 / 1000, "https://aws.amazon.com/s3/pricing/"),
    "s3_get_request": (0.0004 / 1000, "https://aws.amazon.com/s3/pricing/"),
    "custom_metric_month": (0.30, "https://aws.amazon.com/cloudwatch/pricing/"),
    "standard_alarm_month": (0.10, "https://aws.amazon.com/cloudwatch/pricing/"),
    "put_metric_data_request": (0.01 / 1000, "https://aws.amazon.com/cloudwatch/pricing/"),
    "logs_ingest_gb": (0.50, "https://aws.amazon.com/cloudwatch/pricing/"),
    "kms_key_month": (1.00, "https://aws.amazon.com/kms/pricing/"),
    "scheduler_invocation": (1.00 / 1_000_000, "https://aws.amazon.com/eventbridge/pricing/"),
}


def monthly_cost(run_seconds: float, memory_gb: float = 0.25, rate_minutes: int = 60) -> dict[str, float]:
    runs = 730 * 60 / rate_minutes
    p = {k: v for k, (v, _) in PRICES.items()}
    # per run: 1 ListObjectsV2 per day folder (2 around midnight, 1 usually), about 12 new files read (one
    # CloudTrail delivery every ~5 minutes in the home region), 1 PutMetricData, ~2 KB of log
    return {
        "Lambda compute": runs * run_seconds * memory_gb * p["lambda_arm_gb_second"],
        "Lambda requests": runs * p["lambda_request"],
        "S3 requests": runs * (1.1 * p["s3_list_request"] + 12 * p["s3_get_request"]),
        "custom metrics (5)": 5 * p["custom_metric_month"],
        "alarms (5)": 5 * p["standard_alarm_month"],
        "PutMetricData": runs * p["put_metric_data_request"],
        "CloudWatch Logs": runs * 2 / 1024 / 1024 * p["logs_ingest_gb"],
        "KMS key (log group)": p["kms_key_month"],
        "Scheduler": runs * p["scheduler_invocation"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with_files, baseline = [], []
    for _ in range(args.rounds):
        baseline.append(one_run(0))
        with_files.append(one_run(args.files))
    t_base = statistics.median(s for s, _ in baseline)
    t_files = statistics.median(s for s, _ in with_files)
    m_base = max(m for _, m in baseline)
    m_files = max(m for _, m in with_files)
    print(f"(a) one run, {args.rounds} alternating rounds, moto in-process:")
    print(f"    no earlier files:      median {t_base:.3f} s, peak {m_base / 1e6:.1f} MB")
    print(f"    {args.files} earlier files: median {t_files:.3f} s, peak {m_files / 1e6:.1f} MB")
    print(f"    ratio {t_files / t_base:.2f} (time), {m_files / m_base:.2f} (memory)")
    print("(b) minutes from a broken trail to the alarm, rate 60, max_delivery 30 (typical, worst):")
    for what, (typical, worst) in time_to_alarm().items():
        print(f"    {what}: {typical:.0f}, {worst:.0f}")
    print("(c) monthly cost per trail at the default rate (USD, us-east-1, price table dated 2026-11-27):")
    costs = monthly_cost(max(t_files, 1.0))
    for what, usd in costs.items():
        print(f"    {what}: {usd:.4f}")
    print(f"    total: {sum(costs.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
