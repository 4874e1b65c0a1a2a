"""CloudTrail log files: streaming gzip/JSON reading and matching the probe's record.

Where the files are and what they are named is :mod:`ebtrail.core.cloudtrail_layout`'s.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ebtrail.core.beanstalk import EVENT_SOURCE

#: Refuse to inflate more than this from one object (a foreign object could be a gzip bomb).
MAX_DECOMPRESSED_BYTES = 1 << 30


def days_between(first: datetime, last: datetime) -> list[date]:
    d, end = first.astimezone(UTC).date(), last.astimezone(UTC).date()
    out = []
    while d <= end:
        out.append(d)
        d += timedelta(days=1)
    return out


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
