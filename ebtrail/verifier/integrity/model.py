"""Result model of the integrity check: one :class:`FileResult` per log or digest file, in a JSON-ready report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.signals import exit_code_for, signal_name


class Status(StrEnum):
    """What the check found out about one file."""

    VALID = "valid"
    """Digest: signed by CloudTrail's key and at its original location. Log file: SHA-256 matches its digest."""
    MODIFIED = "modified"
    """The file exists but its content, signature, metadata or chain link does not match what CloudTrail signed."""
    MISSING = "missing"
    """A signed digest (or the chain) says the file exists, but S3 answers NoSuchKey."""
    UNVERIFIABLE = "unverifiable"
    """Cannot be decided: no digest covers it (yet), its public key is unknown, access denied, ..."""


# Worst first: when one file is reached twice (e.g. as a chain link), the worse status wins.
_SEVERITY = {Status.VALID: 0, Status.UNVERIFIABLE: 1, Status.MISSING: 2, Status.MODIFIED: 3}


class FileKind(StrEnum):
    LOG = "log"
    DIGEST = "digest"


@dataclass
class FileResult:
    """The verdict on one S3 object."""

    kind: FileKind
    bucket: str
    key: str
    status: Status
    reason: str
    digest: str | None = None
    """Log file: ``s3://`` URI of the digest whose ``hashValue`` it was checked against."""
    backfill: bool = False
    """Digest: a ``_backfill`` digest."""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "uri": self.uri,
            "bucket": self.bucket,
            "key": self.key,
            "status": self.status.value,
            "reason": self.reason,
            "digest": self.digest,
            "backfill": self.backfill,
        }


@dataclass
class ChainSummary:
    """One chain (an account x region folder of the trail) of an ``--all-regions``/``--all-accounts`` run."""

    account: str
    region: str
    digests: dict[str, int]
    """Digest files by status."""
    logs: dict[str, int]
    """Log files by status."""
    start: datetime | None = None
    end: datetime | None = None
    """The period its trusted digests cover."""
    found: bool = True
    """Digests of the range were found in its folder."""
    gaps: int = 0
    """Times the chain restarts (CloudTrail wrote no digests for a while)."""

    @property
    def exit_code(self) -> ExitCode:
        """This chain's verdict, as :attr:`IntegrityReport.exit_code` would give it alone."""
        if self.digests.get(Status.MODIFIED.value) or self.digests.get(Status.MISSING.value):
            return ExitCode.TAMPERED
        if self.logs.get(Status.MODIFIED.value) or self.logs.get(Status.MISSING.value):
            return ExitCode.TAMPERED
        if not self.found or self.digests.get(Status.UNVERIFIABLE.value) or self.logs.get(Status.UNVERIFIABLE.value):
            return ExitCode.UNVERIFIABLE
        return ExitCode.VALID

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "exit_code": int(self.exit_code),
            "digests": dict(self.digests),
            "logs": dict(self.logs),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "gaps": self.gaps,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class IntegrityReport:
    """Everything one run found; ``to_json()`` is what ``--json`` prints."""

    trail: str
    files: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Information that is not a failure (first digest of a chain, waited for a digest, ...)."""
    errors: list[str] = field(default_factory=list)
    """Misconfiguration or AWS errors that stopped the check (exit code 2)."""
    unreachable: bool = False
    """The error that stopped the check was an outage, not a misconfiguration (exit code 3)."""
    signal: int | None = None
    """The signal (SIGINT, SIGTERM, SIGHUP) that ended the check before it finished (exit code 128 + its number)."""
    chains: list[ChainSummary] = field(default_factory=list)
    """``--all-regions``/``--all-accounts``: one summary per chain (account x region)."""
    _index: dict[tuple[FileKind, str, str], FileResult] = field(default_factory=dict, repr=False, compare=False)

    def interrupt(self, signum: int) -> None:
        """The check was stopped by ``signum``: what it found so far stays, the verdict is "interrupted"."""
        self.signal = signum
        self.errors.append(f"interrupted by {signal_name(signum)}: integrity check not finished (it creates nothing)")

    def record(self, result: FileResult) -> FileResult:
        """Add ``result``, or merge it into an earlier result for the same object (the worse status wins)."""
        existing = self.get(result.kind, result.bucket, result.key)
        if existing is not None:
            if _SEVERITY[result.status] > _SEVERITY[existing.status]:
                existing.status, existing.reason = result.status, result.reason
            existing.digest = existing.digest or result.digest
            return existing
        self.files.append(result)
        self._index[(result.kind, result.bucket, result.key)] = result
        return result

    def get(self, kind: FileKind, bucket: str, key: str) -> FileResult | None:
        """The result for one object (an index, so that recording tens of thousands of files stays linear)."""
        if len(self._index) != len(self.files):  # files appended directly
            self._index = {(f.kind, f.bucket, f.key): f for f in self.files}
        return self._index.get((kind, bucket, key))

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status is status)

    @property
    def exit_code(self) -> int:
        """An :class:`ExitCode` member, or 128 + the signal's number when interrupted (130 is ``INTERRUPTED``)."""
        if self.signal is not None:
            return exit_code_for(self.signal)
        if any(f.status in (Status.MODIFIED, Status.MISSING) for f in self.files):
            return ExitCode.TAMPERED
        if self.unreachable:
            return ExitCode.UNREACHABLE
        if self.errors or not self.files or any(f.status is Status.UNVERIFIABLE for f in self.files):
            return ExitCode.UNVERIFIABLE
        return ExitCode.VALID

    @property
    def ok(self) -> bool:
        return self.exit_code is ExitCode.VALID

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "trail": self.trail,
            "ok": self.ok,
            "exit_code": int(self.exit_code),
            "summary": {s.value: self.count(s) for s in Status},
            "files": [f.to_dict() for f in self.files],
            "notes": list(self.notes),
            "errors": list(self.errors),
        }
        if self.chains:  # only with --all-regions/--all-accounts
            out["chains"] = [c.to_dict() for c in self.chains]
        if self.signal is not None:  # only then: the output of a finished check stays as it was
            out["signal"] = signal_name(self.signal)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)
