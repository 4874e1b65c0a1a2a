"""Play CloudTrail against ``moto_server`` for a demonstration run of ``verifier verify`` (moto delivers no logs).

Run it in a separate process next to the verifier, with the same ``AWS_ENDPOINT_URL``::

    .venv/bin/python bench/verifier_play_cloudtrail.py --trail ebtrail-demo --delay 20 &
    .venv/bin/python -m ebtrail.verifier verify --trail ebtrail-demo

It prints a ``ready:`` line (start the verifier after it), waits for a new ``ebtrail-verify-*`` application,
then, ``--delay`` seconds later, writes a gzip log file in the documented key format (the application's
``CreateApplication`` record among unrelated ones) to the trail's bucket and publishes the SNS notification. A
separate process cannot know the request ID the verifier received, so the
record carries another one and the verifier matches it by application name (its documented fallback).

An organization trail delivers every account's files under ``AWSLogs/<o-id>/<account>/``; CloudTrail's
``GetTrail`` does not name the organization, so pass ``--organization-id`` for one (``make e2e`` does).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import string
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

#: Printed to stdout once the player knows which applications were there before the verifier's.
READY = "ready: watching for a new ebtrail-verify-* application"


def _record(name: str, when: datetime, account: str, region: str, source_and_event: tuple[str, str]) -> dict[str, Any]:
    source, event = source_and_event
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{account}:user/moto", "accountId": account},
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": event,
        "awsRegion": region,
        "sourceIPAddress": "127.0.0.1",
        "requestParameters": {"applicationName": name},
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trail", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--delay", type=float, default=20.0, help="seconds between the call and the delivery")
    parser.add_argument("--wait", type=float, default=120.0, help="give up after this many seconds")
    parser.add_argument(
        "--organization-id", default=None, help="o-... of an organization trail: write AWSLogs/<o-id>/<account>/"
    )
    args = parser.parse_args()
    session = boto3.Session(region_name=args.region)
    eb, s3, sns = session.client("elasticbeanstalk"), session.client("s3"), session.client("sns")
    trail = session.client("cloudtrail").get_trail(Name=args.trail)["Trail"]
    account = trail["TrailARN"].split(":")[4]
    if trail.get("IsOrganizationTrail") and not args.organization_id:
        print("an organization trail needs --organization-id (AWSLogs/<o-id>/<account>/)", file=sys.stderr)
        return 2
    folder = f"{args.organization_id}/{account}" if trail.get("IsOrganizationTrail") else account
    known = {a["ApplicationName"] for a in eb.describe_applications()["Applications"]}
    # Whoever starts the verifier next to this player waits for this line (make e2e does): an application the
    # verifier created before the snapshot above would count as known and never be played.
    print(f"{READY} ({len(known)} application(s) there before)", flush=True)
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        names = {a["ApplicationName"] for a in eb.describe_applications()["Applications"]}
        new = sorted(n for n in names - known if n.startswith("ebtrail-verify-"))
        if new:
            break
        time.sleep(0.5)
    else:
        print("no verifier application appeared", file=sys.stderr)
        return 1
    called = datetime.now(UTC)
    time.sleep(args.delay)
    now = datetime.now(UTC)
    rng = random.Random()
    records = [
        _record(
            f"app-{i}",
            called,
            account,
            args.region,
            rng.choice(
                [("ec2.amazonaws.com", "DescribeInstances"), ("elasticbeanstalk.amazonaws.com", "DescribeApplications")]
            ),
        )
        for i in range(300)
    ]
    records.append(
        _record(new[0], called, account, args.region, ("elasticbeanstalk.amazonaws.com", "CreateApplication"))
    )
    rng.shuffle(records)
    prefix = f"{trail['S3KeyPrefix']}/" if trail.get("S3KeyPrefix") else ""
    suffix = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
    key = (
        f"{prefix}AWSLogs/{folder}/CloudTrail/{args.region}/{now:%Y/%m/%d}/"
        f"{account}_CloudTrail_{args.region}_{now:%Y%m%dT%H%M}Z_{suffix}.json.gz"
    )
    s3.put_object(Bucket=trail["S3BucketName"], Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode()))
    if trail.get("SnsTopicARN"):
        message = json.dumps({"s3Bucket": trail["S3BucketName"], "s3ObjectKey": [key]})
        sns.publish(TopicArn=trail["SnsTopicARN"], Message=message)
    print(f"delivered s3://{trail['S3BucketName']}/{key} for {new[0]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
