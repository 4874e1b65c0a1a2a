"""S3 channel: list only the day's log folder (and the next day's around midnight UTC) from a ``StartAfter``
derived from the call time, and read only the new ``.json.gz`` files.

The number of requests per poll does not depend on how many files the folder already holds: one
``ListObjectsV2`` per folder (more pages only when more than 1,000 *new* files arrived) plus one ``GetObject``
per new file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from ebtrail.core.cloudtrail_layout import LogKey, log_day_folder, log_file_stem, logs_root, organization_folder
from ebtrail.verifier.clock import Clock
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.records import days_between
from ebtrail.verifier.trail_info import TrailInfo
from ebtrail.verifier.verify.channels.base import Arrival, Channel, LogFileRef
from ebtrail.verifier.verify.channels.logfiles import LogFileScanner
from ebtrail.verifier.verify.probe import ProbeCall

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Files are re-listed from this long before the newest one seen, so that a file delivered later in the same
#: minute with a smaller random suffix is not missed (already-read keys are skipped).
RELIST = timedelta(minutes=1)


class S3Channel(Channel):
    name = "s3"
    label = "S3"

    def __init__(
        self,
        *,
        s3: S3Client,
        trail: TrailInfo,
        account: str,
        region: str,
        scanner: LogFileScanner,
        findings: Findings,
        clock: Clock,
        interval: float = 10.0,
        margin: timedelta = timedelta(minutes=2),
    ) -> None:
        super().__init__(findings, interval)
        self._s3 = s3
        self._trail = trail
        self._account = account
        self._region = region
        self._scanner = scanner
        self._clock = clock
        self._margin = margin
        self._org_ids: list[str] | None = None if trail.organization else []
        self._seen: set[str] = set()
        self._newest: dict[str, datetime] = {}  # folder -> newest delivery time seen
        self.current = ("s3", "ListObjectsV2")

    def _resource_for(self, operation: str) -> str | None:
        p = self._trail.partition
        if operation == "ListObjectsV2":
            return f"arn:{p}:s3:::{self._trail.bucket} (prefix {logs_root(self._trail.prefix)})"
        return f"arn:{p}:s3:::{self._trail.bucket}/{logs_root(self._trail.prefix)}*"

    def folders(self, call: ProbeCall) -> list[tuple[str, date, datetime]]:
        """``(folder, day, not_before)`` for every day from the call (less the margin) to now (plus the margin)."""
        not_before = call.earliest - self._margin
        days = days_between(not_before, self._clock.now() + self._margin)
        orgs: list[str | None] = list(self._org_ids) if self._org_ids else [None]
        return [
            (log_day_folder(self._trail.prefix, self._account, self._region, day, org), day, not_before)
            for org in orgs
            for day in days
        ]

    def start_after(self, folder: str, day: date, not_before: datetime) -> str:
        """Skip the files delivered before ``not_before`` (or, later, before the newest one read less
        :data:`RELIST`); a folder of a later day than ``not_before`` is listed from its beginning."""
        newest = self._newest.get(folder)
        start = max(not_before, newest - RELIST) if newest else not_before
        if start.astimezone(UTC).date() < day:
            return folder
        return folder + log_file_stem(self._account, self._region, start)

    def _discover_org_ids(self) -> list[str]:
        """The ``o-...`` folders under ``AWSLogs/`` (organization trails)."""
        self.current = ("s3", "ListObjectsV2")
        prefix = organization_folder(self._trail.prefix)
        resp = self._s3.list_objects_v2(Bucket=self._trail.bucket, Prefix=prefix, Delimiter="/")
        return sorted(str(cp["Prefix"]).rstrip("/").rsplit("/", 1)[-1] for cp in resp.get("CommonPrefixes", []))

    def _poll(self, call: ProbeCall, budget: float) -> Arrival | None:
        if self._org_ids is None or (self._trail.organization and not self._org_ids):
            self._org_ids = self._discover_org_ids() or None
            if self._org_ids is None:
                self.detail = (
                    f"no organization folder under s3://{self._trail.bucket}/{logs_root(self._trail.prefix)} yet"
                )
                return None
        sig = call.signature()
        listed = 0
        for folder, day, not_before in self.folders(call):
            start_after = self.start_after(folder, day, not_before)
            token: str | None = None
            while True:
                self.current = ("s3", "ListObjectsV2")
                if token:
                    resp = self._s3.list_objects_v2(Bucket=self._trail.bucket, Prefix=folder, ContinuationToken=token)
                else:
                    resp = self._s3.list_objects_v2(Bucket=self._trail.bucket, Prefix=folder, StartAfter=start_after)
                for obj in resp.get("Contents", []):
                    key = str(obj["Key"])
                    if key in self._seen:
                        continue
                    listed += 1
                    self._seen.add(key)
                    parsed = LogKey.parse(key)
                    if parsed is None:
                        self.findings.warn(f"skipped s3://{self._trail.bucket}/{key}: not a CloudTrail log file name")
                        continue
                    newest = self._newest.get(folder)
                    if newest is None or parsed.delivered > newest:
                        self._newest[folder] = parsed.delivered
                    self.current = ("s3", "GetObject")
                    match = self._scanner.scan(self._trail.bucket, key, sig)
                    if match is not None:
                        return Arrival(
                            self.name, 0.0, match.record, match.matched_by, LogFileRef(self._trail.bucket, key)
                        )
                token = resp.get("NextContinuationToken")
                if not resp.get("IsTruncated") or not token:
                    break
        self.detail = f"listed {listed} new key(s), read {self._scanner.stats.files} file(s) in all"
        return None
