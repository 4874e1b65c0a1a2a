"""Where the integrity check looks: one trail location (bucket, prefix, account, region) and the log objects in
it. The key formats are :mod:`ebtrail.core.cloudtrail_layout`'s; this module only binds them to a location."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ebtrail.core import cloudtrail_layout as layout
from ebtrail.core.cloudtrail_layout import LogKey


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time (``Z`` allowed); naive times are taken as UTC."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True)
class Location:
    """Where a trail puts one account's files for one region: ``[prefix/]AWSLogs/[o-orgid/]<account>/...``
    (``prefix`` in the inside form, ``""`` or ``"p/"``: :func:`ebtrail.core.cloudtrail_layout.key_prefix`)."""

    bucket: str
    prefix: str
    organization_id: str | None
    account_id: str
    region: str

    @property
    def base(self) -> str:
        """``[prefix/]AWSLogs/[o-orgid/]<account>/``."""
        return layout.account_folder(self.prefix, self.account_id, self.organization_id)

    @property
    def digest_folder(self) -> str:
        """``.../CloudTrail-Digest/<region>/`` (ends with a slash)."""
        return layout.digest_folder(self.prefix, self.account_id, self.region, self.organization_id)

    @property
    def digest_regions_folder(self) -> str:
        """``.../CloudTrail-Digest/``: one folder per region below it."""
        return layout.digest_regions_folder(self.prefix, self.account_id, self.organization_id)

    @property
    def log_folder(self) -> str:
        """``.../CloudTrail/<region>/``."""
        return layout.log_folder(self.prefix, self.account_id, self.region, self.organization_id)

    def digest_day_folder(self, day: date) -> str:
        return layout.digest_day_folder(self.prefix, self.account_id, self.region, day, self.organization_id)

    def digest_key_regex(self, trail_name: str, home_region: str) -> re.Pattern[str]:
        """Matches this trail's standard and ``_backfill`` digest keys in this location."""
        return layout.digest_key_regex(
            self.prefix,
            self.account_id,
            self.region,
            trail_name=trail_name,
            home_region=home_region,
            organization_id=self.organization_id,
        )

    def digest_key(self, trail_name: str, home_region: str, at: datetime, *, backfill: bool = False) -> str:
        """The key CloudTrail would give a digest created at ``at``."""
        return layout.digest_key(
            self.prefix,
            self.account_id,
            self.region,
            trail_name=trail_name,
            home_region=home_region,
            end=at,
            organization_id=self.organization_id,
            backfill=backfill,
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
    place, :meth:`ebtrail.core.cloudtrail_layout.LogKey.parse`, for the verify and the integrity commands alike."""
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
