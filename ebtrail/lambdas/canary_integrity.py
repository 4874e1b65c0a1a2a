"""The canary's hourly integrity check: what CloudTrail delivered since the previous run, pair by pair.

Each run lists the canary account's digest folders (``[prefix/]AWSLogs/[o-id/]<account>/CloudTrail-Digest/<region>/``,
every region folder of a multi-region trail, and the home region) and checks, with the pairwise code of
:mod:`ebtrail.verifier.integrity.pairwise` (the same verdicts as ``ebtrail-verify integrity``):

* every digest of this trail **delivered since the previous run** (S3 ``LastModified``, or the time in its key,
  inside the window of one period plus an overlap: a digest seen twice is checked twice, none is skipped):
  its signature (``ListPublicKeys`` in its region, SHA256withRSA in pure Python, :mod:`pure_rsa`);
* its **link** to the previous digest (which the previous run checked; fetched again: a deleted or replaced
  previous digest is found here);
* the SHA-256 of **each log file** it lists.

A region whose newest digest ended more than :data:`ebtrail.core.canary.DIGEST_OVERDUE` ago is **late**:
CloudTrail delivers one digest per region per hour while log file validation is on ("CloudTrail digest file
structure", CloudTrail User Guide); the extra half hour is slack for delivery, which AWS gives no bound for.
Only this trail's own digests count: their file names carry the trail's name and home region
(``<account>_CloudTrail-Digest_<region>_<trail-name>_<home-region>_<end>.json.gz``, "CloudTrail digest file
structure", digest file location), so a folder written by another trail, or by this trail's old name, holds none.
The clock of "late" starts at the later of the newest own digest's end and the moment the trail last started
logging (``GetTrailStatus`` ``StartLoggingTime``, "the most recent date and time when CloudTrail started
recording API calls", CloudTrail API Reference): after a rename or a redeploy under the same name the folders
exist, but CloudTrail owes the new trail its first digest only an hour after it started, so it is not late
until it has logged for longer than ``DIGEST_OVERDUE``, whatever the folder holds. A folder the trail has never
written is judged the same way; without a start time (the status could not be read, which fails the run anyway)
it is only noted, and a written folder without an own digest of the last day is late.

The state between runs is the bucket itself: no state store. Nothing here writes anything.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ebtrail.core.canary import (
    DIGEST_LOOKBACK,
    DIGEST_OVERDUE,
    DIGESTS_LATE,
    INTEGRITY_CHECKED,
    INTEGRITY_FAILURES,
)
from ebtrail.core.cloudtrail_layout import digest_key_time, is_backfill_digest_key, logs_root, organization_id_of_folder
from ebtrail.verifier.aws import AWS_ERRORS, Clients, describe_error
from ebtrail.verifier.integrity.aws import PublicKeys
from ebtrail.verifier.integrity.fetch import fetch_digest, fetch_log_hash
from ebtrail.verifier.integrity.keys import Location
from ebtrail.verifier.integrity.model import FileKind, FileResult, Status
from ebtrail.verifier.integrity.pairwise import DigestCheck, assess_continuity, check_digest, check_log
from ebtrail.verifier.integrity.pure_rsa import verify_der_signature

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Parallel S3 reads of one run (botocore's default connection pool holds 10).
WORKERS = 8
_AT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class IntegrityScope:
    """Whose files the canary checks: the trail, its bucket and prefix, and the canary's own account."""

    trail_name: str
    home_region: str
    account: str
    bucket: str
    #: Key prefix in the inside form, ``""`` or ``"p/"``.
    prefix: str
    organization: bool
    multi_region: bool
    #: Digests delivered within this long before the run are new (one period plus an overlap).
    window: timedelta
    #: When the trail last started logging (``GetTrailStatus`` ``StartLoggingTime``); None: unknown.
    logging_started: datetime | None = None


@dataclass
class RegionIntegrity:
    """One region folder's part of a run."""

    region: str
    digests: int = 0
    log_files: int = 0
    newest: datetime | None = None
    late: bool = False
    failures: list[FileResult] = field(default_factory=list)
    unverifiable: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "digests": self.digests,
            "log_files": self.log_files,
            "newest_digest": self.newest.isoformat() if self.newest else None,
            "late": self.late,
            "failures": [f.to_dict() for f in self.failures],
            "unverifiable": [f.to_dict() for f in self.unverifiable],
            "notes": list(self.notes),
        }


@dataclass
class IntegrityRun:
    """What the run's integrity check found; ``problems`` are what stopped part of it (the run then fails)."""

    regions: list[RegionIntegrity] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return sum(r.digests + r.log_files for r in self.regions)

    @property
    def failures(self) -> int:
        return sum(len(r.failures) for r in self.regions)

    @property
    def late(self) -> int:
        return sum(1 for r in self.regions if r.late)

    def metrics(self) -> list[tuple[str, float]]:
        """``(metric name, value)`` of the run (:data:`ebtrail.core.canary.INTEGRITY_METRICS`)."""
        return [
            (INTEGRITY_FAILURES, float(self.failures)),
            (INTEGRITY_CHECKED, float(self.checked)),
            (DIGESTS_LATE, float(self.late)),
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "failures": self.failures,
            "late_regions": [r.region for r in self.regions if r.late],
            "regions": [r.as_dict() for r in self.regions],
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


def new_digests(
    items: Iterable[Mapping[str, Any]], pattern: re.Pattern[str], now: datetime, window: timedelta
) -> tuple[list[str], datetime | None]:
    """The keys of this trail's digests delivered in ``(now - window, now]`` (``LastModified`` or the key's time),
    oldest first, and the newest key time of all of them (for the late check)."""
    start = now - window
    new: list[tuple[datetime, str]] = []
    newest: datetime | None = None
    for item in items:
        key = str(item.get("Key", ""))
        when = digest_key_time(key)
        if when is None or not pattern.match(key):
            continue
        if not is_backfill_digest_key(key):
            newest = when if newest is None or when > newest else newest
        modified = item.get("LastModified")
        delivered = modified.astimezone(UTC) if isinstance(modified, datetime) else when
        if start < max(delivered, when) and when <= now + timedelta(minutes=5):
            new.append((when, key))
    return [key for _, key in sorted(new)], newest


def check_integrity(clients: Clients, scope: IntegrityScope, now: datetime) -> IntegrityRun:
    """One run's integrity check (see the module docstring). Never raises for an AWS error: it is a problem."""
    run = IntegrityRun()
    s3 = clients.s3()
    try:
        base = _base(s3, scope)
        regions = _regions(s3, scope, base)
    except AWS_ERRORS as exc:
        run.problems.append(describe_error("s3", "ListObjectsV2", exc, f"s3://{scope.bucket}/"))
        return run
    if base is None:  # nothing delivered yet (a new organization trail); the probe's ProbeArrived tells the rest
        run.notes.append(f"organization trail: no AWSLogs/o-.../ folder in s3://{scope.bucket}/ yet")
        return run
    keys = PublicKeys(clients)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for region_name, seen in regions:
            location = Location(scope.bucket, scope.prefix, base[1], scope.account, region_name)
            try:
                run.regions.append(
                    _check_region(s3, keys, pool, scope=scope, location=location, folder_exists=seen, now=now)
                )
            except AWS_ERRORS as exc:
                run.problems.append(describe_error("s3", "GetObject", exc, f"s3://{scope.bucket}/{location.base}"))
    for checked in run.regions:
        for result in checked.unverifiable:
            run.problems.append(f"{result.uri}: {result.reason}")
    return run


def _base(s3: S3Client, scope: IntegrityScope) -> tuple[str, str | None] | None:
    """``(AWSLogs folder, organization ID)``; None when an organization trail's o-id folder is not there."""
    logs = logs_root(scope.prefix)
    if not scope.organization:
        return logs, None
    answer = s3.list_objects_v2(Bucket=scope.bucket, Prefix=logs, Delimiter="/")
    for common in answer.get("CommonPrefixes", []):
        organization_id = organization_id_of_folder(common.get("Prefix", ""))
        if organization_id:
            return logs, organization_id
    return None


def _regions(s3: S3Client, scope: IntegrityScope, base: tuple[str, str | None] | None) -> list[tuple[str, bool]]:
    """Each region to check, with whether its digest folder exists: the home region, and for a multi-region trail
    every region folder CloudTrail has written."""
    if base is None:
        return []
    location = Location(scope.bucket, scope.prefix, base[1], scope.account, scope.home_region)
    folder = location.digest_regions_folder
    found: set[str] = set()
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=scope.bucket, Prefix=folder, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            found.add(common.get("Prefix", "").removeprefix(folder).rstrip("/"))
    wanted = (found if scope.multi_region else found & {scope.home_region}) | {scope.home_region}
    return [(region, region in found) for region in sorted(wanted)]


def _check_region(
    s3: S3Client,
    keys: PublicKeys,
    pool: ThreadPoolExecutor,
    *,
    scope: IntegrityScope,
    location: Location,
    folder_exists: bool,
    now: datetime,
) -> RegionIntegrity:
    out = RegionIntegrity(region=location.region)
    if not folder_exists:
        out.notes.append(f"no digest in s3://{location.bucket}/{location.digest_folder} yet (a new trail?)")
        started = scope.logging_started
        if started is not None and now - started > DIGEST_OVERDUE:
            out.late = True
            out.notes.append(f"digest overdue in {location.region}: none since logging started {started:{_AT}}")
        return out
    pattern = location.digest_key_regex(scope.trail_name, scope.home_region)
    paginator = s3.get_paginator("list_objects_v2")
    items = [
        item
        for page in paginator.paginate(
            Bucket=location.bucket,
            Prefix=location.digest_folder,
            StartAfter=location.digest_day_folder(now - DIGEST_LOOKBACK),
        )
        for item in page.get("Contents", [])
    ]
    new_keys, out.newest = new_digests(items, pattern, now, scope.window)
    _judge_late(out, scope.logging_started, now)

    if not new_keys:  # nothing delivered since the previous run: no key to look up
        return out
    # One ListPublicKeys for the region before the threads look keys up (else each might call it); when it fails,
    # each digest's own lookup reports the error (unverifiable: a problem of the run).
    with contextlib.suppress(*AWS_ERRORS):
        keys.cover(location.region, now - DIGEST_LOOKBACK, now)

    def check(key: str) -> DigestCheck:
        return check_digest(
            fetch_digest(s3, location.bucket, key),
            keys,
            default_region=location.region,
            verifier=verify_der_signature,
            aws_errors=AWS_ERRORS,
        )

    digests = list(pool.map(check, new_keys))
    checked = {(d.bucket, d.key): d for d in digests}
    previous = {
        (d.previous.bucket, d.previous.key)
        for d in digests
        if d.trusted and d.previous is not None and (d.previous.bucket, d.previous.key) not in checked
    }
    for earlier in pool.map(lambda ref: check_digest_at(s3, keys, location.region, *ref), sorted(previous)):
        checked[(earlier.bucket, earlier.key)] = earlier
    continuity = assess_continuity(digests, checked)
    for digest in digests:
        _record(out, digest.result())
    for link in continuity.links:
        if link.status is not Status.VALID:
            _record(out, link.previous.result(link.status, link.reason))
    out.digests = len(digests)
    listed = [(entry, digest.uri) for digest in digests if digest.trusted for entry in digest.log_files]
    hashes = pool.map(lambda pair: fetch_log_hash(s3, pair[0].bucket, pair[0].key), listed)
    for (entry, uri), fetched in zip(listed, hashes, strict=True):
        _record(out, check_log(entry, fetched, uri))
    out.log_files = len(listed)
    return out


def _judge_late(out: RegionIntegrity, started: datetime | None, now: datetime) -> None:
    """Late: no own digest for ``DIGEST_OVERDUE``, counted from the newest own digest's end or from the trail's
    last start of logging, whichever is later (see the module docstring)."""
    if started is not None and (out.newest is None or started > out.newest):
        if now - started > DIGEST_OVERDUE:
            out.late = True
            out.notes.append(f"digest overdue in {out.region}: none since logging started {started:{_AT}}")
        elif out.newest is None:
            out.notes.append(f"no digest of this trail in {out.region} yet (logging started {started:{_AT}})")
        return
    if out.newest is None or now - out.newest > DIGEST_OVERDUE:
        out.late = True
        since = f"the newest ended {out.newest:{_AT}}" if out.newest else "none in the last day"
        out.notes.append(f"digest overdue in {out.region}: {since}")


def check_digest_at(s3: S3Client, keys: PublicKeys, region: str, bucket: str, key: str) -> DigestCheck:
    """Fetch and check the digest ``bucket``/``key`` (a previous digest the new ones link to)."""
    return check_digest(
        fetch_digest(s3, bucket, key), keys, default_region=region, verifier=verify_der_signature, aws_errors=AWS_ERRORS
    )


def _record(out: RegionIntegrity, result: FileResult) -> None:
    if result.status in (Status.MODIFIED, Status.MISSING):
        if not any((f.kind, f.uri) == (result.kind, result.uri) for f in out.failures):
            out.failures.append(result)
    elif result.status is Status.UNVERIFIABLE and result.kind in (FileKind.DIGEST, FileKind.LOG):
        out.unverifiable.append(result)
