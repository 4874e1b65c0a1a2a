"""S3 reads of the integrity check, turned into the inputs of :mod:`ebtrail.verifier.integrity.pairwise`.

A digest is read whole (a few kilobytes: its JSON is needed); a log file is streamed through its hash in
:data:`CHUNK` pieces and never held, so memory does not depend on the size or number of log files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from ebtrail.verifier.integrity.hashing import LogFormatError, sha256_of_gzip
from ebtrail.verifier.integrity.pairwise import FetchedObject, LogHash

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Bytes read from a log file's body at a time.
CHUNK = 64 * 1024
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404"})


def fetch_digest(s3: S3Client, bucket: str, key: str) -> FetchedObject:
    """GetObject of a digest: its bytes and metadata, ``missing`` on NoSuchKey, ``error`` on other failures."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in NOT_FOUND_CODES:
            return FetchedObject(bucket, key, missing=True)
        return FetchedObject(bucket, key, error=str(code or exc))
    except BotoCoreError as exc:
        return FetchedObject(bucket, key, error=str(exc))
    return FetchedObject(bucket, key, body=body, metadata=dict(response.get("Metadata", {})))


def fetch_log_hash(s3: S3Client, bucket: str, key: str) -> LogHash:
    """GetObject of a log file, hashed while streaming (SHA-256 of the gzip-decoded content).

    A connection error while reading propagates (botocore's retries are over: AWS could not be reached)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            return LogHash(bucket, key, sha256=sha256_of_gzip(body.iter_chunks(CHUNK)))
        finally:
            body.close()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in NOT_FOUND_CODES:
            return LogHash(bucket, key, missing=True)
        return LogHash(bucket, key, error=str(code or exc))
    except LogFormatError as exc:
        return LogHash(bucket, key, format_error=str(exc))
