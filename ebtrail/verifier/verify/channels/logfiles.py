"""Fetching and scanning log files, shared by the S3 and SNS channels (a file is read at most once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ebtrail.verifier.aws import AWS_ERRORS, describe_denied, error_code, error_message, is_access_denied
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.records import NotALogFileError, ProbeSignature, RecordMatch, inflate, scan_bytes
from ebtrail.verifier.verify.channels.base import ChannelUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 1 << 20


@dataclass
class ScanStats:
    files: int = 0
    compressed_bytes: int = 0
    skipped: int = 0


class LogFileScanner:
    """Reads log files from S3 (streaming, gzip) and looks for the probe's record."""

    def __init__(self, s3: S3Client, findings: Findings, kms_key_id: str | None, partition: str = "aws") -> None:
        self._s3 = s3
        self._partition = partition
        self._findings = findings
        self._kms_key_id = kms_key_id
        self._results: dict[tuple[str, str], RecordMatch | None] = {}
        self.stats = ScanStats()

    def scan(self, bucket: str, key: str, sig: ProbeSignature) -> RecordMatch | None:
        """The probe's record in ``s3://bucket/key``, or None. Corrupt or foreign objects are skipped with a
        warning; access denied (or a key that cannot be decrypted) raises :class:`ChannelUnavailableError`."""
        cache_key = (bucket, key)
        if cache_key in self._results:
            return self._results[cache_key]
        try:
            obj = self._s3.get_object(Bucket=bucket, Key=key)
            body = obj["Body"]
            try:
                raw = inflate(body.iter_chunks(CHUNK))
                self.stats.compressed_bytes += int(obj.get("ContentLength", 0) or 0)
            finally:
                body.close()
            match = scan_bytes(raw, sig)
        except NotALogFileError as exc:
            self._findings.warn(f"skipped s3://{bucket}/{key}: {exc}")
            self.stats.skipped += 1
            match = None
        except AWS_ERRORS as exc:
            if error_code(exc) in {"NoSuchKey", "404"}:
                self._findings.warn(f"skipped s3://{bucket}/{key}: it no longer exists")
                self._results[cache_key] = None
                return None
            if is_access_denied(exc):
                raise ChannelUnavailableError(self._denied(bucket, key, exc), problem=True) from exc
            raise
        self.stats.files += 1
        self._results[cache_key] = match
        return match

    def _denied(self, bucket: str, key: str, exc: BaseException) -> str:
        message = error_message(exc)
        mentions_kms = "kms" in message.lower() or error_code(exc).startswith("KMS")
        if mentions_kms or self._kms_key_id:
            key_id = self._kms_key_id or "the bucket's KMS key"
            return (
                f"cannot read or decrypt log file s3://{bucket}/{key}: the log files are encrypted with KMS key "
                f"{key_id}; grant kms:Decrypt on it (via S3, and in the key policy) and s3:GetObject on the "
                f"log prefix ({error_code(exc)}: {message})"
            )
        return describe_denied("s3", "GetObject", exc, f"arn:{self._partition}:s3:::{bucket}/{key}")
