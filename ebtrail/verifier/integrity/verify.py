"""``verify_integrity``: find the digests covering log files, check them, the log files and the chain."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from ebtrail.verifier.aws import AWS_ERRORS, Clients, MissingRegionError, is_transient
from ebtrail.verifier.clock import Clock, SystemClock
from ebtrail.verifier.integrity.aws import PublicKeys, TrailConfigError, resolve_trail
from ebtrail.verifier.integrity.digests import DigestChecker, previous_link
from ebtrail.verifier.integrity.fetch import fetch_log_hash
from ebtrail.verifier.integrity.keys import Location, LogObject, digest_key_time, parse_log_key, split_s3_uri
from ebtrail.verifier.integrity.model import FileKind, FileResult, IntegrityReport, Status
from ebtrail.verifier.integrity.pairwise import DigestCheck, LinkCheck, ListedLog, check_log
from ebtrail.verifier.signals import signum_of
from ebtrail.verifier.trail_info import TrailInfo

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# A digest key's time is its digestEndTime, after every log file it lists was delivered; a log key's time is its
# delivery time truncated to the minute. The margin absorbs the truncation and clock skew.
KEY_TIME_MARGIN = timedelta(minutes=1)
# A log file is listed in the digest whose period holds its delivery time. It is taken as listed in none once a
# valid digest starting this long after its delivery has been seen (slack for the clocks of the two file names).
COVER_SLACK = timedelta(minutes=15)
DEFAULT_POLL_INTERVAL = 60.0


def verify_integrity(
    session: boto3.Session,
    trail: str | TrailInfo,
    log_keys: Sequence[str] = (),
    *,
    since: datetime | None = None,
    chain: int = 0,
    wait: float = 0.0,
    region: str | None = None,
    account_id: str | None = None,
    organization_id: str | None = None,
    clients: Clients | None = None,
    clock: Clock | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> IntegrityReport:
    """Prove (or disprove) the integrity of CloudTrail log files with the trail's signed digest files.

    Give either ``log_keys`` (keys in the trail's bucket, or ``s3://bucket/key`` URIs) or ``since`` (every digest
    of the trail delivered since then in ``region``, and every log file they list, as ``aws cloudtrail
    validate-logs --start-time`` does). ``chain`` follows ``previousDigestS3Object`` that many steps further back;
    ``wait`` seconds waits (polling every ``poll_interval``) for the hourly digest that covers a log file newer than
    the latest digest. ``account_id``/``organization_id`` select an account of an organization trail in ``since``
    mode (log keys carry both); a naive ``since`` is UTC. ``trail`` may be a :class:`TrailInfo` already read
    (``verify --integrity`` passes its own), saving the ``GetTrail``. ``clients`` and ``clock`` (the verifier's
    one :class:`~ebtrail.verifier.clock.Clock`) are for tests.
    Never raises for AWS or configuration errors: they end up in ``report.errors`` (exit code 2, or 3 when AWS
    could not be reached). A first SIGINT/SIGTERM/SIGHUP (a ``KeyboardInterrupt``) ends the check with what it
    found so far and ``report.signal`` set: it creates nothing, so there is nothing to clean up. Raises ValueError
    only for contradictory arguments.
    """
    if bool(log_keys) == (since is not None):
        raise ValueError("give either log_keys or since")
    if chain < 0 or wait < 0:
        raise ValueError("chain and wait must not be negative")
    clock = clock or SystemClock()
    report = IntegrityReport(trail=trail if isinstance(trail, str) else trail.arn)
    try:
        clients = clients or Clients.create(session, region, trail if isinstance(trail, str) else trail.arn)
        info = trail if isinstance(trail, TrailInfo) else resolve_trail(clients, trail)
    except MissingRegionError as exc:
        report.errors.append(str(exc))
        return report
    except TrailConfigError as exc:
        report.errors.append(str(exc))
        report.unreachable = exc.__cause__ is not None and is_transient(exc.__cause__)
        return report
    except KeyboardInterrupt as exc:
        report.interrupt(signum_of(exc))
        return report
    report.trail = info.arn
    if info.log_file_validation is False:
        report.notes.append("log file validation is disabled on this trail: CloudTrail writes no new digests")
    deadline = clock.now() + timedelta(seconds=wait)
    try:
        run = _Run(clients=clients, trail=info, report=report, clock=clock, poll_interval=poll_interval, chain=chain)
        if log_keys:
            run.check_log_keys(log_keys, deadline)
        else:
            assert since is not None
            location = run.location_for(region, account_id, organization_id)
            if location is not None:
                aware = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
                run.check_since(location, aware, deadline)
    except AWS_ERRORS as exc:
        report.errors.append(f"AWS error: {exc}")
        report.unreachable = is_transient(exc)
    except KeyboardInterrupt as exc:
        report.interrupt(signum_of(exc))
    return report


@dataclass
class _Cover:
    """Outcome of looking for the digest that lists a log file."""

    digest: DigestCheck | None = None
    pending: bool = False
    reason: str = ""


class _Run:
    def __init__(
        self,
        *,
        clients: Clients,
        trail: TrailInfo,
        report: IntegrityReport,
        clock: Clock,
        poll_interval: float,
        chain: int,
    ) -> None:
        self.clients = clients
        self.trail = trail
        self.report = report
        self.clock = clock
        self.poll_interval = max(poll_interval, 0.001)
        self.chain = chain
        self.s3: S3Client = clients.s3()
        self.checker = DigestChecker(self.s3, PublicKeys(clients), trail.home_region)
        self.logs_done: set[tuple[str, str]] = set()
        self.walked: set[tuple[str, str, int]] = set()
        # Digests not verifiable on their own (public key no longer listed) that a valid next digest vouches for.
        self.chain_authenticated: set[tuple[str, str]] = set()

    def trusted(self, digest: DigestCheck) -> bool:
        return digest.trusted or (digest.bucket, digest.key) in self.chain_authenticated

    # --- modes -------------------------------------------------------------------------------------------------

    def check_log_keys(self, raw_keys: Sequence[str], deadline: datetime) -> None:
        pending: list[LogObject] = []
        for raw in raw_keys:
            bucket, key = split_s3_uri(raw, self.trail.bucket)
            log = parse_log_key(bucket, key)
            if log is None:
                self.report.record(
                    FileResult(FileKind.LOG, bucket, key, Status.UNVERIFIABLE, "not a CloudTrail log file key")
                )
                continue
            if log.location.prefix != self.trail.prefix or bucket != self.trail.bucket:
                self.report.notes.append(
                    f"{log.uri} is not under the trail's s3://{self.trail.bucket}/{self.trail.prefix or ''}: "
                    "looking for digests next to it"
                )
            pending.append(log)
        waited = 0.0
        while pending:
            waiting: list[tuple[LogObject, _Cover]] = []
            for log in pending:
                cover = self.find_cover(log)
                if cover.pending:
                    waiting.append((log, cover))
                else:
                    self.finish_log(log, cover)
            remaining = (deadline - self.clock.now()).total_seconds()
            if not waiting or remaining <= 0:
                for log, cover in waiting:
                    self.finish_log(log, cover)
                break
            self.clock.sleep(min(self.poll_interval, remaining))
            waited += min(self.poll_interval, remaining)
            pending = [log for log, _ in waiting]
        if waited > 0:
            self.report.notes.append(f"waited {waited:.0f} s for digest files")

    def check_since(self, location: Location, since: datetime, deadline: datetime) -> None:
        start = since - KEY_TIME_MARGIN
        while True:
            keys = list(self.digest_keys(location, start))
            remaining = (deadline - self.clock.now()).total_seconds()
            if keys or remaining <= 0:
                break
            self.clock.sleep(min(self.poll_interval, remaining))
        if not keys:
            self.report.errors.append(
                f"no digest files of trail {self.trail.name} in s3://{location.bucket}/{location.digest_folder} "
                f"since {since:%Y-%m-%dT%H:%M:%SZ}"
            )
            return
        for key in reversed(keys):  # newest first, as validate-logs
            digest = self.checker.check(location.bucket, key)
            if not self.trusted(digest):
                self.report.record(digest.result())
                continue
            if digest.trusted:
                self.report.record(digest.result())
            for entry in digest.log_files:
                self.check_log_file(entry.bucket, entry.key, digest)
            previous_time = digest_key_time(digest.previous.key) if digest.previous else None
            in_range = previous_time is not None and previous_time >= start
            # Links inside the range are always checked (that finds deleted digests); --chain N goes beyond it.
            self.walk_chain(digest, 1 if in_range else self.chain)

    def location_for(self, region: str | None, account_id: str | None, organization_id: str | None) -> Location | None:
        org = organization_id
        if self.trail.organization and not org:
            try:
                org = self.clients.organization_id()
            except AWS_ERRORS as exc:
                self.report.errors.append(
                    f"organization trail: pass --org-id, or allow organizations:DescribeOrganization ({exc})"
                )
                return None
        return Location(
            bucket=self.trail.bucket,
            prefix=self.trail.prefix,
            organization_id=org,
            account_id=account_id or self.trail.account,
            region=region or self.clients.region or self.trail.home_region,
        )

    # --- digests -----------------------------------------------------------------------------------------------

    def digest_keys(self, location: Location, start: datetime) -> Iterator[str]:
        """This trail's digest keys in ``location`` with a key time >= ``start``, oldest first (keys sort by time)."""
        pattern = location.digest_key_regex(self.trail.name, self.trail.home_region)
        paginator = self.s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=location.bucket, Prefix=location.digest_folder, StartAfter=location.digest_day_folder(start)
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item.get("Key", "")
                when = digest_key_time(key)
                if pattern.match(key) and when is not None and when >= start:
                    yield key

    def find_cover(self, log: LogObject) -> _Cover:
        """The first valid digest after the log file's delivery that lists it."""
        invalid: list[DigestCheck] = []
        latest_end: datetime | None = None
        for key in self.digest_keys(log.location, log.delivered_at - KEY_TIME_MARGIN):
            digest = self.checker.check(log.location.bucket, key)
            if not self.trusted(digest):
                invalid.append(digest)
                self.report.record(digest.result())
                continue
            if digest.hash_of(log.bucket, log.key) is not None:
                return _Cover(digest=digest)
            start, end = digest.start, digest.end
            latest_end = max(latest_end, end) if latest_end and end else (end or latest_end)
            if not digest.backfill and start is not None and start > log.delivered_at + COVER_SLACK:
                if invalid:
                    names = ", ".join(f"{d.uri} ({d.status.value})" for d in invalid)
                    return _Cover(reason=f"the digest(s) that could list it are not valid: {names}")
                return _Cover(
                    reason=(
                        "not listed in any digest of this trail covering its delivery time: not delivered by "
                        "CloudTrail with log file validation on (or placed there by someone else)"
                    )
                )
        if invalid:
            names = ", ".join(f"{d.uri} ({d.status.value})" for d in invalid)
            return _Cover(pending=True, reason=f"the digest(s) that could list it are not valid: {names}")
        latest = f"the latest digest ends {latest_end:%Y-%m-%dT%H:%M:%SZ}" if latest_end else "none delivered since"
        return _Cover(
            pending=True,
            reason=(
                f"no digest covers its delivery at {log.delivered_at:%Y-%m-%dT%H:%MZ} yet ({latest}); "
                "digests come hourly: retry later or use --wait"
            ),
        )

    def finish_log(self, log: LogObject, cover: _Cover) -> None:
        if cover.digest is None:
            # Only a signed digest that lists a file makes its absence evidence (MISSING). A key no digest lists
            # is not there yet, or mistyped: the advice is to retry or check the key, so the verdict must be
            # "unverifiable" (exit 2), not "integrity failure" (exit 1).
            absent = self.fetch_missing(log.bucket, log.key)
            reason = (
                f"not found in S3 and no digest lists it: not delivered yet, or a wrong key; {cover.reason}"
                if absent
                else cover.reason
            )
            self.report.record(FileResult(FileKind.LOG, log.bucket, log.key, Status.UNVERIFIABLE, reason))
            return
        self.report.record(cover.digest.result())
        self.check_log_file(log.bucket, log.key, cover.digest)
        self.walk_chain(cover.digest, self.chain)

    def walk_chain(self, digest: DigestCheck, steps: int) -> None:
        current = digest
        for _ in range(steps):
            if (current.bucket, current.key, steps) in self.walked:
                return
            self.walked.add((current.bucket, current.key, steps))
            link = previous_link(self.checker, current)
            if not isinstance(link, LinkCheck):
                self.report.notes.append(f"{current.uri}: {link}")
                return
            assert link.previous is not None
            self.report.record(link.previous.result(link.status, link.reason))
            if link.status is not Status.VALID:
                return
            if not link.previous.trusted:
                self.chain_authenticated.add((link.previous.bucket, link.previous.key))
            current = link.previous
            steps -= 1

    # --- log files ---------------------------------------------------------------------------------------------

    def check_log_file(self, bucket: str, key: str, digest: DigestCheck) -> None:
        if (bucket, key) in self.logs_done:
            return
        self.logs_done.add((bucket, key))
        listed = ListedLog(bucket, key, digest.hash_of(bucket, key) or "")
        self.report.record(check_log(listed, fetch_log_hash(self.s3, bucket, key), digest.uri))

    def fetch_missing(self, bucket: str, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            return exc.response.get("Error", {}).get("Code", "") in ("NoSuchKey", "404")
        return False
