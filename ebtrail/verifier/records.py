"""CloudTrail log files: key format, streaming gzip/JSON reading and matching the probe's record.

Key format (CloudTrail User Guide)::

    [<prefix>/]AWSLogs/[<o-orgid>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz

The date folders and the timestamp are the delivery time (UTC), so inside a day's folder keys sort by
delivery time.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ebtrail.core.beanstalk import EVENT_SOURCE

#: Refuse to inflate more than this from one object (a foreign object could be a gzip bomb).
MAX_DECOMPRESSED_BYTES = 1 << 30

_KEY_RE = re.compile(
    r"^(?:(?P<prefix>.+)/)?AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/"
    r"(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<ts>\d{8}T\d{4}Z)_(?P<suffix>[A-Za-z0-9]{16})\.json\.gz$"
)


def log_prefix(prefix: str | None) -> str:
    """``"<prefix>/AWSLogs/"`` or ``"AWSLogs/"``."""
    p = (prefix or "").strip("/")
    return f"{p}/AWSLogs/" if p else "AWSLogs/"


def day_folder(prefix: str | None, account: str, region: str, day: date, org_id: str | None = None) -> str:
    """The folder holding the log files delivered on ``day`` (UTC) for one account and region."""
    org = f"{org_id}/" if org_id else ""
    return f"{log_prefix(prefix)}{org}{account}/CloudTrail/{region}/{day:%Y/%m/%d}/"


def file_stem(account: str, region: str, when: datetime) -> str:
    """The part of a log file name before its random suffix, for a delivery at ``when``."""
    return f"{account}_CloudTrail_{region}_{when.astimezone(UTC):%Y%m%dT%H%MZ}"


def log_key(
    prefix: str | None, account: str, region: str, delivered: datetime, suffix: str, *, org_id: str | None = None
) -> str:
    """The full key of a log file delivered at ``delivered`` (``suffix``: 16 alphanumeric characters)."""
    delivered = delivered.astimezone(UTC)
    folder = day_folder(prefix, account, region, delivered.date(), org_id)
    return f"{folder}{file_stem(account, region, delivered)}_{suffix}.json.gz"


def start_after(folder: str, account: str, region: str, not_before: datetime) -> str:
    """``StartAfter`` for a ``ListObjectsV2`` of ``folder`` that skips files delivered before ``not_before``
    (whole minutes: a key of the same minute sorts after it)."""
    return folder + file_stem(account, region, not_before)


def days_between(first: datetime, last: datetime) -> list[date]:
    d, end = first.astimezone(UTC).date(), last.astimezone(UTC).date()
    out = []
    while d <= end:
        out.append(d)
        d += timedelta(days=1)
    return out


@dataclass(frozen=True)
class LogKey:
    """A parsed log file key."""

    key: str
    prefix: str | None
    org_id: str | None
    account: str
    region: str
    day: date
    delivered: datetime

    @classmethod
    def parse(cls, key: str) -> LogKey | None:
        m = _KEY_RE.match(key)
        if not m:
            return None
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            delivered = datetime.strptime(m["ts"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(key, m["prefix"], m["org"], m["account"], m["region"], day, delivered)


class NotALogFileError(Exception):
    """An object that is not a CloudTrail log file (not gzip, not JSON, no ``Records`` list)."""


def inflate(chunks: Iterable[bytes], limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress a gzip stream given as chunks (several gzip members allowed), without first holding the
    whole compressed object in memory."""
    out: list[bytes] = []
    total = 0
    d = zlib.decompressobj(wbits=31)
    seen_any = False
    for chunk in chunks:
        data = chunk
        while data:
            seen_any = True
            try:
                piece = d.decompress(data, limit - total + 1)
            except zlib.error as exc:
                raise NotALogFileError(f"not a gzip stream ({exc})") from exc
            total += len(piece)
            if total > limit:
                raise NotALogFileError(f"decompresses to more than {limit} bytes")
            out.append(piece)
            if d.unconsumed_tail:
                data = d.unconsumed_tail
            elif d.eof and d.unused_data:
                data = d.unused_data
                d = zlib.decompressobj(wbits=31)
            else:
                data = b""
    if not seen_any:
        raise NotALogFileError("empty object")
    if not d.eof:
        raise NotALogFileError("truncated gzip stream")
    return b"".join(out)


def parse_records(raw: bytes) -> list[dict[str, Any]]:
    """The ``Records`` of a decompressed log file."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotALogFileError(f"not JSON ({exc.__class__.__name__})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("Records"), list):
        raise NotALogFileError('no "Records" list')
    return [r for r in doc["Records"] if isinstance(r, dict)]


def looks_like_log(raw: bytes) -> bool:
    """Cheap check, without parsing, that decompressed bytes are a JSON object with ``Records`` (CloudTrail
    writes it first; a later position is accepted, at the cost of a search)."""
    head = raw[:4096].lstrip()
    return head[:1] == b"{" and (b'"Records"' in head or b'"Records"' in raw)


@dataclass(frozen=True)
class ProbeSignature:
    """What identifies the probe's record."""

    request_id: str
    event_name: str
    application_name: str

    def needles(self) -> tuple[bytes, ...]:
        return tuple(n.encode() for n in (self.request_id, self.application_name) if n)


@dataclass(frozen=True)
class RecordMatch:
    record: dict[str, Any]
    matched_by: str  # "requestID" or "applicationName"


def match_record(record: dict[str, Any], sig: ProbeSignature) -> str | None:
    """``"requestID"`` or ``"applicationName"`` when ``record`` is the probe's, else ``None``."""
    if record.get("eventSource") != EVENT_SOURCE or record.get("eventName") != sig.event_name:
        return None
    if sig.request_id and record.get("requestID") == sig.request_id:
        return "requestID"
    params = record.get("requestParameters")
    if isinstance(params, dict) and sig.application_name and params.get("applicationName") == sig.application_name:
        return "applicationName"
    return None


def find_match(records: Iterable[dict[str, Any]], sig: ProbeSignature) -> RecordMatch | None:
    """The best match: a requestID match wins over an application-name match; duplicates are harmless."""
    fallback: RecordMatch | None = None
    for record in records:
        how = match_record(record, sig)
        if how == "requestID":
            return RecordMatch(record, how)
        if how and fallback is None:
            fallback = RecordMatch(record, how)
    return fallback


def scan_bytes(raw: bytes, sig: ProbeSignature) -> RecordMatch | None:
    """Match in a decompressed log file. Files that contain neither the request ID nor the application name
    are rejected by a substring search without JSON parsing (most files)."""
    if not looks_like_log(raw):
        raise NotALogFileError('not a JSON object with "Records"')
    if not any(n in raw for n in sig.needles()):
        return None
    return find_match(parse_records(raw), sig)


def iter_unique(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Records with duplicate ``eventID`` removed (CloudTrail may deliver a record twice)."""
    seen: set[str] = set()
    for r in records:
        eid = r.get("eventID")
        if isinstance(eid, str):
            if eid in seen:
                continue
            seen.add(eid)
        yield r
