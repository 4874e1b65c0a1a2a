"""The integrity sweep's Lambda handlers: a batch of digest keys checked pairwise, and the sweep's summary.

The sweep (:class:`ebtrail.constructs.integrity_sweep.IntegritySweep`) is a Step Functions Distributed Map over
the digest keys of an archive (ItemReader ``ListObjectsV2`` of a ``CloudTrail-Digest/`` prefix), batched
(ItemBatcher) to :func:`batch_handler`, whose outputs the map's ResultWriter writes under the results prefix;
:func:`summary_handler` then reads them back, adds them up (:func:`summarize`), writes ``summary.json`` and
publishes the metrics the alarms watch.

Each batch checks, with the pairwise code of :mod:`ebtrail.verifier.integrity.pairwise` (the verdicts of
``ebtrail-verify integrity``):

* every digest of the batch on its own (signature with ``ListPublicKeys``, pure-Python RSA);
* the link from each of them to its previous digest (fetched when it is not in the batch: each link is checked
  by exactly one batch, the one holding the later digest; a deleted previous digest is MISSING there);
* every log file a trusted digest lists (its SHA-256), and those of a previous digest that the link
  authenticates although its own key is no longer listed.

A batch's output is small (counts, and only the files that are not valid, at most :data:`MAX_RECORDS`), well
under the 256 KiB a child execution may return. Files are counted once: each digest is in one batch, each log
file listed by one digest; a link's verdict on a previous digest comes with that digest's own verdict so the
summary can move it (worst wins, as in one ``integrity`` run; a link that authenticates an unverifiable digest
makes it valid).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3

from ebtrail.core.cloudtrail_layout import DIGEST_KEY_RE, digest_key_region, digest_key_time
from ebtrail.core.regions import FALLBACK_REGION
from ebtrail.core.sweep import (
    DIMENSION,
    ENV_NAMESPACE,
    ENV_RESULTS_BUCKET,
    ENV_SWEEP_NAME,
    FILES_CHECKED,
    INCOMPLETE,
    INTEGRITY_FAILURES,
    NAMESPACE,
    SUMMARY_KEY,
)
from ebtrail.verifier.aws import AWS_ERRORS, Clients
from ebtrail.verifier.integrity.aws import PublicKeys
from ebtrail.verifier.integrity.fetch import fetch_digest, fetch_log_hash
from ebtrail.verifier.integrity.model import FileKind, FileResult, Status
from ebtrail.verifier.integrity.pairwise import (
    ChainEvent,
    DigestCheck,
    ListedLog,
    PublicKeySource,
    assess_continuity,
    check_digest,
    check_link,
    check_log,
)
from ebtrail.verifier.integrity.pure_rsa import verify_der_signature

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: At most this many not-valid files in one batch's output (the rest are counted, and ``truncated`` is set).
MAX_RECORDS = 400
#: Parallel S3 reads inside one batch (botocore's default connection pool holds 10).
WORKERS = 8
#: Storage classes whose objects GetObject cannot read before a restore.
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
_SEVERITY = {Status.VALID: 0, Status.UNVERIFIABLE: 1, Status.MISSING: 2, Status.MODIFIED: 3}
_INFO_EVENTS = (ChainEvent.START, ChainEvent.GAP, ChainEvent.ROTATION, ChainEvent.BACKFILL, ChainEvent.TIME_GAP)


@dataclass
class BatchResult:
    """What one batch found (its JSON is the child execution's output)."""

    items: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    records: list[dict[str, Any]] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    truncated: int = 0

    def count(self, result: FileResult) -> None:
        self.counts[(result.kind.value, result.status.value)] += 1
        if result.status is not Status.VALID:
            self.record(result)

    def record(self, result: FileResult, *, own: Status | None = None) -> None:
        if len(self.records) >= MAX_RECORDS:
            self.truncated += 1
            return
        entry = {"kind": result.kind.value, "uri": result.uri, "status": result.status.value}
        entry["reason"] = result.reason[:300]
        if own is not None:
            entry["own"] = own.value
        self.records.append(entry)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "counts": {f"{kind}:{status}": n for (kind, status), n in sorted(self.counts.items())},
            "records": self.records,
            "events": dict(sorted(self.events.items())),
            "truncated": self.truncated,
        }


def check_batch(
    s3: S3Client,
    public_keys: PublicKeySource,
    bucket: str,
    items: Sequence[Mapping[str, Any]],
    default_region: str,
) -> BatchResult:
    """Check the digests among ``items`` (ItemReader ``ListObjectsV2`` or inventory rows; other keys are skipped)."""
    out = BatchResult(items=len(items))
    wanted: list[tuple[str, str]] = []
    for item in items:
        key = str(item.get("Key", ""))
        if not DIGEST_KEY_RE.search(key):
            continue
        item_bucket = str(item.get("Bucket") or bucket)
        if str(item.get("StorageClass", "")).upper() in ARCHIVED:
            out.count(FileResult(FileKind.DIGEST, item_bucket, key, Status.UNVERIFIABLE, "archived: restore it first"))
            continue
        wanted.append((item_bucket, key))

    _cover_keys(public_keys, wanted, default_region)

    def check(ref: tuple[str, str]) -> DigestCheck:
        region = digest_key_region(ref[1]) or default_region
        return check_digest(
            fetch_digest(s3, *ref),
            public_keys,
            default_region=region,
            verifier=verify_der_signature,
            aws_errors=AWS_ERRORS,
        )

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        digests = list(pool.map(check, wanted))
        checked = {(d.bucket, d.key): d for d in digests}
        outside = sorted(
            {(d.previous.bucket, d.previous.key) for d in digests if d.trusted and d.previous is not None}
            - set(checked)
        )
        for previous in pool.map(check, outside):
            checked[(previous.bucket, previous.key)] = previous
        for digest in digests:
            out.count(digest.result())
        to_hash: list[tuple[ListedLog, str]] = [
            (entry, digest.uri) for digest in digests if digest.trusted for entry in digest.log_files
        ]
        for digest in digests:
            if not digest.trusted or digest.previous is None:
                continue
            previous = checked[(digest.previous.bucket, digest.previous.key)]
            link = check_link(digest, previous)
            if link.status is Status.VALID and not previous.trusted:
                # Authenticated by this digest's signed link: valid, and its log files can be checked here.
                out.record(previous.result(Status.VALID, link.reason), own=previous.status)
                to_hash += [(entry, previous.uri) for entry in previous.log_files]
            elif link.status is not Status.VALID:
                out.record(previous.result(link.status, link.reason), own=previous.status)
        hashes = pool.map(lambda pair: fetch_log_hash(s3, pair[0].bucket, pair[0].key), to_hash)
        for (entry, uri), fetched in zip(to_hash, hashes, strict=True):
            out.count(check_log(entry, fetched, uri))
    for finding in assess_continuity(digests, checked).findings:
        if finding.event in _INFO_EVENTS:
            out.events[finding.event.value] += 1
    return out


def _cover_keys(public_keys: PublicKeySource, wanted: Sequence[tuple[str, str]], default_region: str) -> None:
    """One ListPublicKeys per region of the batch before the threads look keys up (else each might call it)."""
    cover = getattr(public_keys, "cover", None)
    if cover is None:  # keys already read (StaticPublicKeys)
        return
    times: dict[str, list[datetime]] = {}
    for _, key in wanted:
        when = digest_key_time(key)
        if when is not None:
            times.setdefault(digest_key_region(key) or default_region, []).append(when)
    for region, seen in times.items():
        with contextlib.suppress(*AWS_ERRORS):  # each digest's own lookup then reports the error (unverifiable)
            cover(region, min(seen) - timedelta(hours=2), max(seen))


# --- the summary ---------------------------------------------------------------------------------------------


@dataclass
class Summary:
    """The sweep's verdict, from every batch's output (and the batches that failed)."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The files that are not valid, by URI: kind, status, reason."""
    events: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    failed_batches: int = 0
    truncated: int = 0

    @property
    def failures(self) -> int:
        return sum(n for (_, status), n in self.counts.items() if status in (Status.MODIFIED, Status.MISSING))

    @property
    def unverifiable(self) -> int:
        return sum(n for (_, status), n in self.counts.items() if status == Status.UNVERIFIABLE)

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    @property
    def incomplete(self) -> int:
        """Files that could not be decided, batches that failed, records left out: the sweep proves less."""
        return self.unverifiable + self.failed_batches + self.truncated

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.failures == 0 and self.incomplete == 0,
            "checked": self.checked,
            "failures": self.failures,
            "unverifiable": self.unverifiable,
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "truncated": self.truncated,
            "counts": {f"{kind}:{status}": n for (kind, status), n in sorted(self.counts.items())},
            "events": dict(sorted(self.events.items())),
            "files": [self.files[uri] | {"uri": uri} for uri in sorted(self.files)],
        }


def summarize(outputs: Iterable[Mapping[str, Any]], failed_batches: int = 0) -> Summary:
    """Add up batch outputs: counts, and each not-valid file once with its final verdict."""
    out = Summary(failed_batches=failed_batches)
    own: dict[str, dict[str, Any]] = {}
    links: dict[str, list[dict[str, Any]]] = {}
    for output in outputs:
        out.batches += 1
        out.truncated += int(output.get("truncated", 0))
        for name, n in output.get("counts", {}).items():
            kind, _, status = str(name).partition(":")
            out.counts[(kind, status)] += int(n)
        for event, n in output.get("events", {}).items():
            out.events[str(event)] += int(n)
        for record in output.get("records", []):
            (
                links.setdefault(record["uri"], []).append(record)
                if "own" in record
                else own.setdefault(record["uri"], record)
            )
    for uri, record in own.items():
        out.files[uri] = {"kind": record["kind"], "status": record["status"], "reason": record["reason"]}
    for uri, found in links.items():
        kind, own_status = found[0]["kind"], Status(found[0]["own"])
        counted = own_status if own_status is not Status.MISSING or uri in own else None
        verdicts = [Status(r["status"]) for r in found]
        if own_status is Status.UNVERIFIABLE and Status.VALID in verdicts and len(set(verdicts)) == 1:
            final, reason = Status.VALID, found[0]["reason"]
        else:
            worst = max(found, key=lambda r: _SEVERITY[Status(r["status"])])
            final, reason = Status(worst["status"]), worst["reason"]
            if uri in own and _SEVERITY[Status(own[uri]["status"])] >= _SEVERITY[final]:
                final, reason = Status(own[uri]["status"]), own[uri]["reason"]
        if counted is not None:
            out.counts[(kind, counted.value)] -= 1
        out.counts[(kind, final.value)] += 1
        if final is Status.VALID:
            out.files.pop(uri, None)
        else:
            out.files[uri] = {"kind": kind, "status": final.value, "reason": reason}
    out.counts = Counter({k: n for k, n in out.counts.items() if n})
    return out


def read_results(s3: S3Client, manifest_bucket: str, manifest_key: str) -> tuple[list[dict[str, Any]], int]:
    """The child outputs the map's ResultWriter wrote (``manifest.json`` -> ``SUCCEEDED_*.json``), and how many
    children failed (``FAILED_*.json``; "Exporting Distributed Map state results", Step Functions Developer Guide)."""
    manifest = json.loads(s3.get_object(Bucket=manifest_bucket, Key=manifest_key)["Body"].read())
    bucket = manifest.get("DestinationBucket", manifest_bucket)
    files = manifest.get("ResultFiles", {})
    outputs: list[dict[str, Any]] = []
    failed = 0
    for state, entries in files.items():
        for entry in entries:
            children = json.loads(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
            if state != "SUCCEEDED":
                failed += len(children)
                continue
            outputs += [json.loads(child["Output"]) for child in children if child.get("Output")]
    return outputs, failed


# --- the Lambda entry points -------------------------------------------------------------------------------------

_CLIENTS: dict[str, Clients] = {}


def _clients() -> Clients:
    region = os.environ.get("AWS_REGION", FALLBACK_REGION)  # the Lambda runtime sets AWS_REGION
    if region not in _CLIENTS:  # kept by a warm container for its next invocations
        _CLIENTS[region] = Clients.create(boto3.Session(), region)
    return _CLIENTS[region]


def batch_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The map's item processor: ``{"Items": [...], "BatchInput": {"bucket": ...}}`` -> :class:`BatchResult`."""
    del context
    clients = _clients()
    batch_input = event.get("BatchInput", {})
    result = check_batch(
        clients.s3(),
        PublicKeys(clients),
        str(batch_input["bucket"]),
        list(event.get("Items", [])),
        clients.region,
    )
    return result.to_dict()


def summary_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """After the map: ``{"ResultWriterDetails": {"Bucket", "Key"}, "execution": name}`` -> ``summary.json`` and
    the sweep's metrics."""
    del context
    clients = _clients()
    s3 = clients.s3()
    details = event["ResultWriterDetails"]
    outputs, failed = read_results(s3, str(details["Bucket"]), str(details["Key"]))
    summary = summarize(outputs, failed)
    body = summary.to_dict() | {"execution": event.get("execution"), "prefix": event.get("prefix")}
    results_bucket = os.environ[ENV_RESULTS_BUCKET]
    key = str(details["Key"]).rsplit("/", 1)[0] + f"/{SUMMARY_KEY}"
    s3.put_object(Bucket=results_bucket, Key=key, Body=json.dumps(body, indent=2).encode())
    dims = [{"Name": DIMENSION, "Value": os.environ[ENV_SWEEP_NAME]}]
    clients.client("cloudwatch").put_metric_data(
        Namespace=os.environ.get(ENV_NAMESPACE, NAMESPACE),
        MetricData=[
            {"MetricName": name, "Dimensions": dims, "Value": float(value), "Unit": "Count"}
            for name, value in (
                (INTEGRITY_FAILURES, summary.failures),
                (INCOMPLETE, summary.incomplete),
                (FILES_CHECKED, summary.checked),
            )
        ],
    )
    print(json.dumps({k: v for k, v in body.items() if k != "files"}))  # into the function's log group
    return {k: v for k, v in body.items() if k != "files"} | {"summary": f"s3://{results_bucket}/{key}"}
