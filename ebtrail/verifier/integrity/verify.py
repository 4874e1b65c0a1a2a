"""``verify_integrity``: find the digests covering log files, check them, the log files and the chain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.exceptions import ClientError

from ebtrail.core.cloudtrail_layout import accounts_folder, digest_key_time, is_backfill_digest_key
from ebtrail.verifier.aws import AWS_ERRORS, Clients, MissingRegionError, is_transient
from ebtrail.verifier.clock import Clock, SystemClock
from ebtrail.verifier.integrity.aws import PublicKeys, TrailConfigError, resolve_trail
from ebtrail.verifier.integrity.digests import DigestChecker, previous_link
from ebtrail.verifier.integrity.fetch import fetch_log_hash
from ebtrail.verifier.integrity.keys import Location, LogObject, parse_log_key, split_s3_uri
from ebtrail.verifier.integrity.model import ChainSummary, FileKind, FileResult, IntegrityReport, Status
from ebtrail.verifier.integrity.pairwise import (
    ChainEvent,
    DigestCheck,
    LinkCheck,
    ListedLog,
    LogHash,
    assess_continuity,
    check_log,
)
from ebtrail.verifier.integrity.pool import Pool
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
#: S3 reads at a time. Each read waits on one round trip; 32 in flight keep a 20 ms round trip from bounding the
#: run while staying within the clients' connection pool (ebtrail.verifier.aws.MAX_POOL_CONNECTIONS) and far
#: below S3's request rates per prefix (3,500 GET/HEAD per second: "Best practices design patterns: optimizing
#: Amazon S3 performance", https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html).
DEFAULT_WORKERS = 32


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
    workers: int = DEFAULT_WORKERS,
    all_regions: bool = False,
    all_accounts: bool = False,
    progress: Progress | None = None,
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

    ``workers`` S3 reads run at a time (capped at the clients' ``max_pool_connections``): every digest of the
    range, the previous digests the chain check needs and every log file they list are fetched and checked pairwise
    in a bounded pool first, and the same decisions as the sequential reference (``workers=1``, one read after
    another, as ``validate-logs``) are then made from those results. ``all_regions`` checks every region folder of
    the trail, ``all_accounts`` (organization trails) every account folder, each account x region its own chain
    (``report.chains``); both are for ``since`` mode. ``progress`` is told how many files there are and how many are
    done.
    Never raises for AWS or configuration errors: they end up in ``report.errors`` (exit code 2, or 3 when AWS
    could not be reached). A first SIGINT/SIGTERM/SIGHUP (a ``KeyboardInterrupt``) ends the check with what it
    found so far and ``report.signal`` set: it creates nothing, so there is nothing to clean up. Raises ValueError
    only for contradictory arguments.
    """
    _check_arguments(log_keys, since, chain, wait, all_regions=all_regions, all_accounts=all_accounts)
    clock = clock or SystemClock()
    report = IntegrityReport(trail=trail if isinstance(trail, str) else trail.arn)
    opened = _open_trail(session, trail, region, clients, report)
    if opened is None:
        return report
    clients, info = opened
    report.trail = info.arn
    if info.log_file_validation is False:
        report.notes.append("log file validation is disabled on this trail: CloudTrail writes no new digests")
    deadline = clock.now() + timedelta(seconds=wait)
    pool = Pool(min(workers, int(getattr(clients.config, "max_pool_connections", None) or workers)))
    try:
        run = _Run(
            clients=clients,
            trail=info,
            report=report,
            clock=clock,
            poll_interval=poll_interval,
            chain=chain,
            pool=pool,
            progress=progress or _NoProgress(),
        )
        if log_keys:
            run.check_log_keys(log_keys, deadline)
        else:
            assert since is not None
            location = run.location_for(region, account_id, organization_id)
            if location is not None:
                run.check_since_mode(location, since, deadline, all_regions=all_regions, all_accounts=all_accounts)
    except AWS_ERRORS as exc:
        report.errors.append(f"AWS error: {exc}")
        report.unreachable = is_transient(exc)
    except KeyboardInterrupt as exc:
        report.interrupt(signum_of(exc))
    finally:
        pool.close()
    return report


def _check_arguments(
    log_keys: Sequence[str],
    since: datetime | None,
    chain: int,
    wait: float,
    *,
    all_regions: bool,
    all_accounts: bool,
) -> None:
    """Contradictory arguments are the caller's bug, not a finding: ValueError before anything is read."""
    if bool(log_keys) == (since is not None):
        raise ValueError("give either log_keys or since")
    if chain < 0 or wait < 0:
        raise ValueError("chain and wait must not be negative")
    if (all_regions or all_accounts) and since is None:
        raise ValueError("all_regions and all_accounts are for since mode")


def _open_trail(
    session: boto3.Session,
    trail: str | TrailInfo,
    region: str | None,
    clients: Clients | None,
    report: IntegrityReport,
) -> tuple[Clients, TrailInfo] | None:
    """The clients and the trail (read unless given): None when they cannot be had, the reason in ``report``
    (no region or a trail that cannot be read: exit 2, or 3 when AWS could not be reached; an interruption)."""
    try:
        clients = clients or Clients.create(session, region, trail if isinstance(trail, str) else trail.arn)
        info = trail if isinstance(trail, TrailInfo) else resolve_trail(clients, trail)
    except MissingRegionError as exc:
        report.errors.append(str(exc))
        return None
    except TrailConfigError as exc:
        report.errors.append(str(exc))
        report.unreachable = exc.__cause__ is not None and is_transient(exc.__cause__)
        return None
    except KeyboardInterrupt as exc:
        report.interrupt(signum_of(exc))
        return None
    return clients, info


class Progress(Protocol):
    """Told about the files of a run as they are found and checked (the CLI's progress bar)."""

    def add(self, files: int) -> None:
        """``files`` more files to check."""

    def advance(self, files: int = 1) -> None:
        """``files`` more files checked."""


class _NoProgress:
    def add(self, files: int) -> None:
        pass

    def advance(self, files: int = 1) -> None:
        pass


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
        pool: Pool,
        progress: Progress,
    ) -> None:
        self.clients = clients
        self.trail = trail
        self.report = report
        self.clock = clock
        self.poll_interval = max(poll_interval, 0.001)
        self.chain = chain
        self.s3: S3Client = clients.s3()
        self.public_keys = PublicKeys(clients)
        self.checker = DigestChecker(self.s3, self.public_keys, trail.home_region)
        self.logs_done: set[tuple[str, str]] = set()
        self.walked: set[tuple[str, str, int]] = set()
        # Digests not verifiable on their own (public key no longer listed) that a valid next digest vouches for.
        self.chain_authenticated: set[tuple[str, str]] = set()
        self.pool = pool
        self.progress = progress
        # Log files already read and hashed by the pool, until the decision that needs them takes them.
        self.log_hashes: dict[tuple[str, str], LogHash] = {}

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
                    f"{log.uri} is not under the trail's s3://{self.trail.bucket}/{self.trail.prefix}: "
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

    def check_since_mode(
        self, location: Location, since: datetime, deadline: datetime, *, all_regions: bool, all_accounts: bool
    ) -> None:
        """``since`` mode (a naive ``since`` is UTC): the one chain of ``location``, or each account x region
        folder's chain when ``all_regions``/``all_accounts`` ask for them."""
        aware = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        if not (all_regions or all_accounts):
            self.check_since(location, aware, deadline)
            return
        locations = self.chain_locations(location, all_regions=all_regions, all_accounts=all_accounts)
        if locations:
            self.check_since_chains(locations, aware, deadline)

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
        self.prefetch({location: keys}, start)
        self.decide_since(location, keys, start)

    def check_since_chains(self, locations: Sequence[Location], since: datetime, deadline: datetime) -> None:
        """Every chain (account x region folder) side by side: one pool for all their reads, then each decided
        and summarized on its own (``report.chains``)."""
        start = since - KEY_TIME_MARGIN
        while True:
            keys = {location: list(self.digest_keys(location, start)) for location in locations}
            remaining = (deadline - self.clock.now()).total_seconds()
            if any(keys.values()) or remaining <= 0:
                break
            self.clock.sleep(min(self.poll_interval, remaining))
        if not any(keys.values()):
            folders = ", ".join(f"s3://{loc.bucket}/{loc.digest_folder}" for loc in locations)
            self.report.errors.append(
                f"no digest files of trail {self.trail.name} since {since:%Y-%m-%dT%H:%M:%SZ} in {folders}"
            )
            return
        self.prefetch(keys, start)
        for location in locations:
            if keys[location]:
                self.decide_since(location, keys[location], start)
            self.report.chains.append(self.summarize(location, since, bool(keys[location])))

    def decide_since(self, location: Location, keys: Sequence[str], start: datetime) -> None:
        """The sequential reference's decisions over one chain (reads not prefetched are made here, one by one)."""
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
        checked = [d for d in (self.checker.checked(location.bucket, k) for k in keys) if d is not None]
        for finding in assess_continuity(checked, self.checker.cache).findings:
            if finding.event in (ChainEvent.GAP, ChainEvent.ROTATION, ChainEvent.TIME_GAP):
                self.report.notes.append(f"{finding.digest}: {finding.message}")

    # --- parallel reads ----------------------------------------------------------------------------------------

    def prefetch(self, keys: Mapping[Location, Sequence[str]], start: datetime) -> None:
        """Read and check, in the pool, every digest and log file :meth:`decide_since` will ask for: the digests of
        the range, the previous digests its links need (in the range; ``--chain`` steps beyond it) and the log files
        of every digest whose content may be relied on. Nothing is decided here."""
        if self.pool.workers <= 1:
            return
        self._cover_public_keys(keys)
        frontier = self._check_digests([(loc.bucket, key) for loc, listed in keys.items() for key in listed])
        for step in range(max(1, self.chain)):
            wanted: dict[tuple[str, str], None] = {}
            for digest in frontier:
                ref = digest.previous if _may_be_trusted(digest) else None
                if ref is None or self.checker.checked(ref.bucket, ref.key) is not None:
                    continue
                when = digest_key_time(ref.key)
                if step < self.chain or (when is not None and when >= start):
                    wanted[(ref.bucket, ref.key)] = None
            if not wanted:
                break
            frontier = self._check_digests(list(wanted))
        logs: dict[tuple[str, str], None] = {}
        for digest in self.checker.cache.values():
            if _may_be_trusted(digest):
                logs.update(((entry.bucket, entry.key), None) for entry in digest.log_files)
        self.progress.add(len(logs))
        for (bucket, key), hashed in self.pool.map(lambda bk: fetch_log_hash(self.s3, *bk), list(logs)):
            self.log_hashes[(bucket, key)] = hashed
            self.progress.advance()

    def _cover_public_keys(self, keys: Mapping[Location, Sequence[str]]) -> None:
        """One ListPublicKeys per region for the whole range before the threads start: checked in any order, the
        digests then ask for no more than the reference does (newest first, its first call covers a day back)."""
        for location, listed in keys.items():
            times = [t for t in (digest_key_time(k) for k in listed if not is_backfill_digest_key(k)) if t]
            if not times:
                continue
            try:  # a failure is left to each digest, which reports it as the reference does
                self.public_keys.cover(location.region, min(times) - timedelta(hours=1), max(times))
            except AWS_ERRORS:
                continue

    def _check_digests(self, wanted: Sequence[tuple[str, str]]) -> list[DigestCheck]:
        self.progress.add(len(wanted))
        checked: list[DigestCheck] = []
        for _, digest in self.pool.map(lambda bk: self.checker.check(*bk), wanted):
            checked.append(digest)
            self.progress.advance()
        return checked

    # --- chains ------------------------------------------------------------------------------------------------

    def chain_locations(self, location: Location, *, all_regions: bool, all_accounts: bool) -> list[Location]:
        """The chains to check: the account x region folders of the trail (``--all-regions``, ``--all-accounts``)."""
        if all_accounts and location.organization_id is None:
            self.report.errors.append(
                f"--all-accounts: allowed only for an organization trail; {self.trail.arn} is not one"
            )
            return []
        root = accounts_folder(location.prefix, location.organization_id)
        accounts = sorted(self._folders(location.bucket, root)) if all_accounts else [location.account_id]
        accounts = [a for a in accounts if a.isdigit() and len(a) == 12]
        out: list[Location] = []
        for account in accounts:
            at = replace(location, account_id=account)
            base = at.digest_regions_folder
            regions = sorted(self._folders(location.bucket, base)) if all_regions else [location.region]
            out.extend(replace(at, region=region) for region in regions)
        if not out:
            self.report.errors.append(
                f"no digest folders of trail {self.trail.name} under s3://{location.bucket}/{root}"
            )
        return out

    def _folders(self, bucket: str, prefix: str) -> list[str]:
        """The folder names right under ``prefix`` (ListObjectsV2 with a delimiter: one request per 1,000)."""
        paginator = self.s3.get_paginator("list_objects_v2")
        names: list[str] = []
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.append(common.get("Prefix", "")[len(prefix) :].strip("/"))
        return [n for n in names if n]

    def summarize(self, location: Location, since: datetime, found: bool) -> ChainSummary:
        digest_folder = location.digest_folder
        log_folder = location.log_folder
        digests = [f for f in self.report.files if f.kind is FileKind.DIGEST and f.key.startswith(digest_folder)]
        logs = [f for f in self.report.files if f.kind is FileKind.LOG and f.key.startswith(log_folder)]
        checked = [
            d for d in self.checker.cache.values() if d.bucket == location.bucket and d.key.startswith(digest_folder)
        ]
        continuity = assess_continuity(checked, self.checker.cache)
        return ChainSummary(
            account=location.account_id,
            region=location.region,
            digests={s.value: sum(1 for f in digests if f.status is s) for s in Status},
            logs={s.value: sum(1 for f in logs if f.status is s) for s in Status},
            start=continuity.start or (since if found else None),
            end=continuity.end,
            found=found,
            gaps=len(continuity.of(ChainEvent.GAP)),
        )

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
        hashed = self.log_hashes.pop((bucket, key), None) or fetch_log_hash(self.s3, bucket, key)
        self.report.record(check_log(listed, hashed, digest.uri))

    def fetch_missing(self, bucket: str, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            return exc.response.get("Error", {}).get("Code", "") in ("NoSuchKey", "404")
        return False


def _may_be_trusted(digest: DigestCheck) -> bool:
    """Its content may end up relied on: valid, or unverifiable on its own but perhaps vouched for by the chain."""
    return digest.parsed and digest.status in (Status.VALID, Status.UNVERIFIABLE)
