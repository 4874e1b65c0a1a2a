"""Checking digest files through S3, each at most once: :func:`ebtrail.verifier.integrity.pairwise.check_digest`
over :func:`ebtrail.verifier.integrity.fetch.fetch_digest`, and the link from a digest to the previous one.

Follows aws-cli's ``validate-logs`` (``awscli/customizations/cloudtrail/validation.py``): gzip JSON content,
``signature``/``signature-algorithm`` object metadata, required fields, original location, public key by
fingerprint from ListPublicKeys in the digest's region, SHA256withRSA over the string to sign.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from ebtrail.verifier.aws import AWS_ERRORS
from ebtrail.verifier.integrity.fetch import fetch_digest
from ebtrail.verifier.integrity.pairwise import (
    REQUIRED_DIGEST_KEYS,
    DigestCheck,
    LinkCheck,
    PublicKeySource,
    check_digest,
    check_link,
    link_note,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["REQUIRED_DIGEST_KEYS", "CheckedDigest", "DigestChecker", "Link", "previous_link"]

#: The names this module had before the pairwise API; kept for callers.
CheckedDigest = DigestCheck
Link = LinkCheck


class DigestChecker:
    """Checks digest files (each at most once). Safe to call from several threads: the S3 client is, the public
    key source is locked, and a digest checked twice at the same moment gives the same answer."""

    def __init__(self, s3: S3Client, public_keys: PublicKeySource, default_region: str) -> None:
        self._s3 = s3
        self._public_keys = _LockedKeys(public_keys)
        self._default_region = default_region
        self._cache: dict[tuple[str, str], DigestCheck] = {}

    def check(self, bucket: str, key: str) -> DigestCheck:
        cached = self._cache.get((bucket, key))
        if cached is None:
            cached = check_digest(
                fetch_digest(self._s3, bucket, key),
                self._public_keys,
                default_region=self._default_region,
                aws_errors=AWS_ERRORS,
            )
            self._cache[(bucket, key)] = cached
        return cached

    @property
    def cache(self) -> Mapping[tuple[str, str], DigestCheck]:
        """Every digest checked so far, by (bucket, key)."""
        return self._cache

    def checked(self, bucket: str, key: str) -> DigestCheck | None:
        """The digest if it was checked already (no request)."""
        return self._cache.get((bucket, key))


class _LockedKeys:
    """One ``ListPublicKeys`` at a time: the keys of a region are read once, whichever thread needs them first."""

    def __init__(self, source: PublicKeySource) -> None:
        self._source = source
        self._lock = threading.Lock()

    def find(self, region: str, fingerprint: str, start: datetime, end: datetime) -> bytes | None:
        with self._lock:
            return self._source.find(region, fingerprint, start, end)


def previous_link(checker: DigestChecker, digest: DigestCheck) -> LinkCheck | str:
    """Check the digest before ``digest`` in its chain; a note (str) when there is none to check."""
    note = link_note(digest)
    if note is not None:
        return note
    assert digest.previous is not None
    return check_link(digest, checker.check(digest.previous.bucket, digest.previous.key))
