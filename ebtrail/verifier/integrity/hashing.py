"""The hashing half of CloudTrail digest validation, standard library only: the string to sign, the SHA-256 of a
gzip stream read in chunks, and the fingerprint of a public key.

Kept apart from :mod:`ebtrail.verifier.integrity.crypto` (RSA, ``cryptography``) so that code which verifies
signatures another way (a Lambda function without ``cryptography``) can use the same hashing.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

SIGNATURE_ALGORITHM = "SHA256withRSA"


class LogFormatError(ValueError):
    """A log file is not one complete gzip stream."""


def string_to_sign(digest: Mapping[str, Any], inflated_digest: bytes) -> bytes:
    """``digestEndTime\\nbucket/key\\nhex(sha256(uncompressed digest))\\npreviousDigestSignature``.

    A ``null`` previous signature (first digest of a chain) is written as the literal ``null``, as aws-cli does.
    """
    return string_to_sign_from_hash(digest, hashlib.sha256(inflated_digest).hexdigest())


def string_to_sign_from_hash(digest: Mapping[str, Any], inflated_sha256: str) -> bytes:
    """:func:`string_to_sign` given the hex SHA-256 of the uncompressed digest instead of its bytes."""
    previous = digest.get("previousDigestSignature")
    previous_text = "null" if previous is None else str(previous)
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{inflated_sha256}\n{previous_text}"
    ).encode()


def fingerprint(der: bytes) -> str:
    """MD5 hex of the key's DER bytes (what ``ListPublicKeys`` reports as ``Fingerprint``)."""
    return hashlib.md5(der, usedforsecurity=False).hexdigest()


def sha256_of_gzip(chunks: Iterable[bytes]) -> str:
    """Hex SHA-256 of the uncompressed content of a gzip stream read in ``chunks``: memory is one chunk and its
    inflated data, whatever the size of the file. This is what a digest's ``hashValue`` is (aws-cli's
    ``_download_log`` hashes the gzip-decoded stream the same way).

    Raises LogFormatError when it is not gzip or has data after the end of the compressed stream
    (aws-cli reports both as INVALID).
    """
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    digest = hashlib.sha256()
    try:
        for chunk in chunks:
            digest.update(inflater.decompress(chunk))
            if inflater.unused_data:
                raise LogFormatError("unexpected data after the end of the compressed stream")
        digest.update(inflater.flush())
    except zlib.error as exc:
        raise LogFormatError(f"not a gzip stream: {exc}") from exc
    if inflater.unused_data:
        raise LogFormatError("unexpected data after the end of the compressed stream")
    if not inflater.eof:
        raise LogFormatError("truncated gzip stream")
    return digest.hexdigest()
