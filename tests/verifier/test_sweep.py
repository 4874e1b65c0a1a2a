"""The integrity sweep's batch and summary handlers against signed chains in moto S3.

The end-to-end cases list a digest folder as the map's ItemReader would (``ListObjectsV2`` items), split the
listing into batches, run the batch check on each, write the outputs as the ResultWriter does, summarize them,
and compare with one single-machine ``verify_integrity`` run over the same range: same counts per kind and
verdict, same not-valid files with the same verdicts.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from ebtrail.core import sweep as facts
from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.core.iam import wildcard_match
from ebtrail.lambdas import sweep
from ebtrail.verifier.integrity import Status, TrailInfo, verify_integrity
from ebtrail.verifier.integrity.keys import Location
from ebtrail.verifier.integrity.pairwise import StaticPublicKeys
from tests.verifier.integrity_fixtures import (
    ACCOUNT,
    BASE,
    BUCKET,
    PREFIX,
    REGION,
    TRAIL,
    SigningKey,
    StubbedClients,
    TrailWriter,
)
from tests.verifier.verify_double import FakeClock

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
RESULTS = "sweep-results"
FOLDER = Location(BUCKET, key_prefix(PREFIX), None, ACCOUNT, REGION).digest_folder


@pytest.fixture(scope="module")
def rotated_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def session(moto: None) -> boto3.Session:
    session = boto3.Session(region_name=REGION)
    session.client("s3").create_bucket(Bucket=BUCKET)
    session.client("s3").create_bucket(Bucket=RESULTS)
    return session


def listing(s3: Any) -> list[dict[str, Any]]:
    """The items the map's ItemReader ``listObjectsV2`` gives: Etag, Key, LastModified, Size, StorageClass."""
    items = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=FOLDER):
        for o in page.get("Contents", []):
            items.append(
                {
                    "Etag": o["ETag"],
                    "Key": o["Key"],
                    "LastModified": o["LastModified"].isoformat(),
                    "Size": o["Size"],
                    "StorageClass": o.get("StorageClass", "STANDARD"),
                }
            )
    return items


def sweep_summary(s3: Any, keys: StaticPublicKeys, batch_size: int) -> sweep.Summary:
    """Batches of the listing through the batch check, written as ResultWriter would, summarized."""
    items = listing(s3)
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    children = []
    for n, batch in enumerate(batches):
        output = sweep.check_batch(s3, keys, BUCKET, batch, REGION).to_dict()
        children.append({"Name": f"child-{n}", "Status": "SUCCEEDED", "Output": json.dumps(output)})
    s3.put_object(Bucket=RESULTS, Key="results/run/SUCCEEDED_0.json", Body=json.dumps(children).encode())
    manifest = {
        "DestinationBucket": RESULTS,
        "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:sweep/run:1",
        "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": "results/run/SUCCEEDED_0.json"}]},
    }
    s3.put_object(Bucket=RESULTS, Key="results/run/manifest.json", Body=json.dumps(manifest).encode())
    outputs, failed = sweep.read_results(s3, RESULTS, "results/run/manifest.json")
    assert (len(outputs), failed) == (len(batches), 0)
    return sweep.summarize(json.loads(json.dumps(o)) for o in outputs)  # as JSON, the way it travels


def single_machine(session: boto3.Session, *keys: SigningKey) -> tuple[Counter[tuple[str, str]], dict[str, str]]:
    clients = StubbedClients(session)
    clients.add_public_keys(*keys)
    report = verify_integrity(
        session,
        TrailInfo.from_arn(TRAIL_ARN, bucket=BUCKET, prefix=PREFIX),
        since=BASE - timedelta(hours=1),
        region=REGION,
        clients=clients,
        clock=FakeClock(BASE + timedelta(days=1)),
    )
    counts = Counter((f.kind.value, f.status.value) for f in report.files)
    bad = {f.uri: f.status.value for f in report.files if f.status is not Status.VALID}
    return counts, bad


def rewrite(s3: Any, key: str, content: bytes) -> None:
    metadata = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(content), Metadata=metadata)


#: Issue 20's "Done when" cases: the same verdicts in the sequential reference, the parallel run, the canary and
#: the sweep.
CASES = [
    "valid",
    "log modified",
    "log deleted",
    "digest modified",
    "digest deleted",
    "unlisted key",
    "backfill",
    "rotation",
    "gap",
]
#: Cases with nothing modified or missing.
NO_FAILURES = ("valid", "unlisted key", "backfill", "rotation", "gap")


@pytest.fixture(scope="module")
def unlisted_key() -> SigningKey:
    """A key neither ListPublicKeys (the reference's Stubber) nor the sweep's keys list."""
    return SigningKey.generate()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("batch_size", [1, 3, 100])
def test_the_summary_of_batches_equals_one_integrity_run(
    session: boto3.Session,
    s3: Any,
    *,
    signing_key: SigningKey,
    rotated_key: SigningKey,
    unlisted_key: SigningKey,
    case: str,
    batch_size: int,
) -> None:
    writer = TrailWriter(s3=s3, key=signing_key)
    periods = writer.hourly_chain(6, logs_per_hour=3)
    d = writer.digests
    keys = {(REGION, signing_key.fingerprint): signing_key.der}
    if case == "log modified":
        rewrite(s3, periods[2][1][0], b'{"Records": []}')
    elif case == "log deleted":
        s3.delete_object(Bucket=BUCKET, Key=periods[4][0][0])
    elif case == "digest modified":
        rewrite(s3, d[3].key, json.dumps(dict(d[3].body, logFiles=[])).encode())
    elif case == "digest deleted":
        s3.delete_object(Bucket=BUCKET, Key=d[2].key)
    elif case == "backfill":
        late = writer.put_log(BASE + timedelta(hours=2, minutes=30))
        writer.put_digest(BASE + timedelta(hours=2), [late], backfill_generated=BASE + timedelta(hours=5))
    elif case == "rotation":
        start = BASE + timedelta(hours=6)
        writer.put_digest(start, [writer.put_log(start + timedelta(minutes=9))], previous=d[-1], signer=rotated_key)
        keys[(REGION, rotated_key.fingerprint)] = rotated_key.der
    elif case == "unlisted key":  # the newest digest is signed with a key nobody lists: nothing vouches for it
        start = BASE + timedelta(hours=6)
        writer.put_digest(start, [writer.put_log(start + timedelta(minutes=9))], previous=d[-1], signer=unlisted_key)
    elif case == "gap":  # logging stopped for three hours, then a new chain with no link to the old one
        previous = None
        for hour in range(9, 12):
            start = BASE + timedelta(hours=hour)
            previous = writer.put_digest(start, [writer.put_log(start + timedelta(minutes=5))], previous=previous)
    summary = sweep_summary(s3, StaticPublicKeys(keys), batch_size)
    counts, bad = single_machine(session, signing_key, rotated_key)
    assert summary.counts == counts
    assert {uri: f["status"] for uri, f in summary.files.items()} == bad
    assert summary.failures == sum(n for (_, status), n in counts.items() if status in ("modified", "missing"))
    assert (summary.failures == 0) is (case in NO_FAILURES)
    if case == "unlisted key":
        assert set(bad.values()) == {"unverifiable"} and summary.incomplete >= 1
    if case == "gap":
        # Same verdicts at every batch size; the gap note itself is seen only by a batch that also holds an older
        # digest (a batch boundary at the gap makes it a chain start): known, reported to the lead.
        if batch_size == 100:
            assert summary.events["gap"] == 1
        assert summary.counts[("digest", "valid")] == 9
    if case == "rotation":
        assert summary.events["rotation"] == 1
    if case == "backfill":
        assert summary.events["backfill"] == 1


def test_a_digest_whose_key_is_no_longer_listed_is_authenticated_by_the_next_ones_link(
    s3: Any, signing_key: SigningKey, rotated_key: SigningKey
) -> None:
    writer = TrailWriter(s3=s3, key=rotated_key)
    writer.hourly_chain(2)
    start = BASE + timedelta(hours=2)
    writer.put_digest(
        start, [writer.put_log(start + timedelta(minutes=9))], previous=writer.digests[-1], signer=signing_key
    )
    # Only the current key is listed: the oldest two digests are unverifiable on their own.
    summary = sweep_summary(s3, StaticPublicKeys({(REGION, signing_key.fingerprint): signing_key.der}), 1)
    # The newest authenticates the one before it (and its log files); the oldest stays unverifiable.
    assert {uri.rsplit("/", 1)[1]: f["status"] for uri, f in summary.files.items()} == {
        writer.digests[0].key.rsplit("/", 1)[1]: "unverifiable"
    }
    assert summary.counts[("digest", "valid")] == 2
    assert summary.counts[("log", "valid")] == 3  # 1 of the newest, 2 of the authenticated one


def test_archived_digests_and_other_keys_in_the_listing(s3: Any, signing_key: SigningKey) -> None:
    writer = TrailWriter(s3=s3, key=signing_key)
    writer.hourly_chain(1)
    items = [
        {"Key": writer.digests[0].key, "StorageClass": "DEEP_ARCHIVE"},
        {"Key": f"{PREFIX}/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/11/20/not-a-digest.json.gz"},
    ]
    result = sweep.check_batch(s3, StaticPublicKeys({}), BUCKET, items, REGION).to_dict()
    assert result["counts"] == {"digest:unverifiable": 1}
    assert result["records"][0]["reason"] == "archived: restore it first"


def test_failed_batches_and_truncated_records_make_the_sweep_incomplete() -> None:
    ok = sweep.BatchResult(items=1)
    summary = sweep.summarize([ok.to_dict() | {"truncated": 2}], failed_batches=1)
    assert (summary.failures, summary.incomplete, summary.to_dict()["ok"]) == (0, 3, False)


def test_the_handlers_write_the_summary_and_publish_the_metrics(
    session: boto3.Session, s3: Any, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = TrailWriter(s3=s3, key=signing_key)
    periods = writer.hourly_chain(3)
    s3.delete_object(Bucket=BUCKET, Key=periods[1][0][0])
    clients = StubbedClients(session)
    clients.add_public_keys(signing_key)
    monkeypatch.setattr(sweep, "_clients", lambda: clients)
    monkeypatch.setenv(facts.ENV_RESULTS_BUCKET, RESULTS)
    monkeypatch.setenv(facts.ENV_SWEEP_NAME, "ebtrail-integrity-sweep")
    output = sweep.batch_handler({"Items": listing(s3), "BatchInput": {"bucket": BUCKET}}, None)
    children = [{"Status": "SUCCEEDED", "Output": json.dumps(output)}]
    s3.put_object(Bucket=RESULTS, Key="results/abc/SUCCEEDED_0.json", Body=json.dumps(children).encode())
    manifest = {"DestinationBucket": RESULTS, "ResultFiles": {"SUCCEEDED": [{"Key": "results/abc/SUCCEEDED_0.json"}]}}
    s3.put_object(Bucket=RESULTS, Key="results/abc/manifest.json", Body=json.dumps(manifest).encode())
    answer = sweep.summary_handler(
        {"ResultWriterDetails": {"Bucket": RESULTS, "Key": "results/abc/manifest.json"}, "execution": "x"}, None
    )
    assert (answer["failures"], answer["checked"], answer["summary"]) == (
        1,
        9,
        f"s3://{RESULTS}/results/abc/summary.json",
    )
    written = json.loads(s3.get_object(Bucket=RESULTS, Key="results/abc/summary.json")["Body"].read())
    assert [f["status"] for f in written["files"]] == ["missing"]
    cloudwatch = session.client("cloudwatch")
    metrics = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=facts.NAMESPACE)["Metrics"]}
    assert metrics == set(facts.METRICS)


def test_requests_of_one_batch_for_the_cost_model(s3: Any, signing_key: SigningKey) -> None:
    """The README's cost per million digests counts these: one GET per digest of the batch, one for the previous
    digest of its oldest one (outside the batch), one per log file; nothing else (keys come from the map)."""
    writer = TrailWriter(s3=s3, key=signing_key)
    writer.hourly_chain(6, logs_per_hour=12)
    batch = listing(s3)[2:5]
    calls: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    result = sweep.check_batch(
        s3, StaticPublicKeys({(REGION, signing_key.fingerprint): signing_key.der}), BUCKET, batch, REGION
    )
    assert result.counts == {("digest", "valid"): 3, ("log", "valid"): 36}
    assert Counter(calls) == {"GetObject": 3 + 1 + 36}


#: The rendered all-features archive stack (the snapshot test keeps it equal to a fresh synthesis).
ARCHIVE_SNAPSHOT = (
    Path(__file__).resolve().parents[1]
    / "cdk/__snapshots__/test_snapshots"
    / "test_every_stack_matches_its_snapshot[all-features.toml][all-features.toml-ebtrail-log-archive].json"
)


def _role_actions(role_prefix: str) -> list[str]:
    """The actions the managed policy of the role whose logical ID starts with ``role_prefix`` allows."""
    resources = json.loads(ARCHIVE_SNAPSHOT.read_text())["Resources"]
    [role_id] = [k for k, v in resources.items() if v["Type"] == "AWS::IAM::Role" and k.startswith(role_prefix)]
    allowed: list[str] = []
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and resource["Properties"].get("Roles") == [{"Ref": role_id}]:
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                action = statement["Action"]
                allowed += [action] if isinstance(action, str) else action
    return allowed


def test_every_api_call_of_the_handlers_is_in_their_roles(
    session: boto3.Session, s3: Any, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each handler's calls under moto (Stubber for ListPublicKeys), as IAM actions, are allowed by the role the
    construct renders for its function (the snapshot of the all-features archive stack)."""
    writer = TrailWriter(s3=s3, key=signing_key)
    periods = writer.hourly_chain(3)
    s3.delete_object(Bucket=BUCKET, Key=periods[1][0][0])
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.signing_name}:{model.name}")

    clients = StubbedClients(session)
    for client in (clients.s3(), clients.cloudtrail(REGION), clients.client("cloudwatch")):
        client.meta.events.register("before-parameter-build", record)
    clients.add_public_keys(signing_key)
    monkeypatch.setattr(sweep, "_clients", lambda: clients)
    monkeypatch.setenv(facts.ENV_RESULTS_BUCKET, RESULTS)
    monkeypatch.setenv(facts.ENV_SWEEP_NAME, "ebtrail-integrity-sweep")
    output = sweep.batch_handler({"Items": listing(s3), "BatchInput": {"bucket": BUCKET}}, None)
    batch_calls, calls[:] = set(calls), []
    children = [{"Status": "SUCCEEDED", "Output": json.dumps(output)}]
    s3.put_object(Bucket=RESULTS, Key="results/abc/SUCCEEDED_0.json", Body=json.dumps(children).encode())
    manifest = {"DestinationBucket": RESULTS, "ResultFiles": {"SUCCEEDED": [{"Key": "results/abc/SUCCEEDED_0.json"}]}}
    s3.put_object(Bucket=RESULTS, Key="results/abc/manifest.json", Body=json.dumps(manifest).encode())
    calls[:] = []  # the test's own writes
    sweep.summary_handler(
        {"ResultWriterDetails": {"Bucket": RESULTS, "Key": "results/abc/manifest.json"}, "execution": "x"}, None
    )
    summary_calls = set(calls)
    # The recording works: each handler made the calls its job needs.
    assert {"s3:GetObject", "cloudtrail:ListPublicKeys"} <= batch_calls
    assert {"s3:GetObject", "s3:PutObject", "monitoring:PutMetricData"} <= summary_calls
    for role_prefix, made in (("IntegritySweepBatchRole", batch_calls), ("IntegritySweepSummaryRole", summary_calls)):
        allowed = _role_actions(role_prefix)
        # CloudWatch's API signs as "monitoring"; its IAM prefix is "cloudwatch".
        actions = {call.replace("monitoring:", "cloudwatch:") for call in made}
        # IAM's Action match: * and ? wildcards, case-insensitive.
        missing = {a for a in actions if not any(wildcard_match(p, a, ignore_case=True) for p in allowed)}
        assert not missing, (role_prefix, missing)
