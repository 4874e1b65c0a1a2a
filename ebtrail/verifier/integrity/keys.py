"""S3 key formats of CloudTrail log and digest files, and the timestamps encoded in them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ebtrail.verifier.records import LogKey

DIGEST_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
LOG_DATE_FORMAT = "%Y%m%dT%H%MZ"

# Any digest key (used on previousDigestS3Object, whose trail we do not re-check).
DIGEST_KEY_RE = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?\d{12}/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"[^/]+_(?P<ts>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
)


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time (``Z`` allowed); naive times are taken as UTC."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def is_backfill_digest_key(key: str) -> bool:
    return key.endswith("_backfill.json.gz")


def digest_key_time(key: str) -> datetime | None:
    """The ``YYYYMMDDTHHMMSSZ`` timestamp in a digest key (backfill or not), or None if it is not a digest key."""
    match = DIGEST_KEY_RE.search(key)
    if not match:
        return None
    return datetime.strptime(match["ts"], DIGEST_DATE_FORMAT).replace(tzinfo=UTC)


def digest_key_region(key: str) -> str | None:
    match = DIGEST_KEY_RE.search(key)
    return match["region"] if match else None


@dataclass(frozen=True)
class Location:
    """Where a trail puts one account's files for one region: ``[prefix/]AWSLogs/[o-orgid/]<account>/...``."""

    bucket: str
    prefix: str | None
    organization_id: str | None
    account_id: str
    region: str

    @property
    def base(self) -> str:
        parts = [p for p in (self.prefix, "AWSLogs", self.organization_id, self.account_id) if p]
        return "/".join(parts)

    @property
    def digest_folder(self) -> str:
        """``.../CloudTrail-Digest/<region>/`` (ends with a slash)."""
        return f"{self.base}/CloudTrail-Digest/{self.region}/"

    def digest_day_folder(self, day: date) -> str:
        return f"{self.digest_folder}{day:%Y/%m/%d}/"

    def digest_key_regex(self, trail_name: str, home_region: str) -> re.Pattern[str]:
        """Matches this trail's standard and ``_backfill`` digest keys in this location."""
        acct, region = re.escape(self.account_id), re.escape(self.region)
        return re.compile(
            rf"^{re.escape(self.digest_folder)}\d{{4}}/\d{{2}}/\d{{2}}/{acct}_CloudTrail-Digest_{region}_"
            rf"{re.escape(trail_name)}_{re.escape(home_region)}_\d{{8}}T\d{{6}}Z(?:_backfill)?\.json\.gz$"
        )

    def digest_key(self, trail_name: str, home_region: str, at: datetime, *, backfill: bool = False) -> str:
        """The key CloudTrail would give a digest created at ``at``."""
        suffix = "_backfill" if backfill else ""
        return (
            f"{self.digest_day_folder(at)}{self.account_id}_CloudTrail-Digest_{self.region}_{trail_name}_"
            f"{home_region}_{at.astimezone(UTC):{DIGEST_DATE_FORMAT}}{suffix}.json.gz"
        )


@dataclass(frozen=True)
class LogObject:
    """A CloudTrail log file in S3: its bucket and key, where that puts it, and when it was delivered."""

    bucket: str
    key: str
    location: Location
    delivered_at: datetime
    """The delivery time (UTC, minute precision) encoded in the key."""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def split_s3_uri(value: str, default_bucket: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); a bare key is in ``default_bucket``."""
    if value.startswith("s3://"):
        bucket, _, key = value[len("s3://") :].partition("/")
        return bucket, key
    return default_bucket, value.lstrip("/")


def parse_log_key(bucket: str, key: str) -> LogObject | None:
    """The log file ``key`` of ``bucket``; None if the key is not a log file's. The key format is parsed in one
    place, :meth:`ebtrail.verifier.records.LogKey.parse`, for the verify and the integrity commands alike."""
    parsed = LogKey.parse(key)
    if parsed is None:
        return None
    location = Location(
        bucket=bucket,
        prefix=parsed.prefix,
        organization_id=parsed.org_id,
        account_id=parsed.account,
        region=parsed.region,
    )
    return LogObject(bucket=bucket, key=key, location=location, delivered_at=parsed.delivered)
