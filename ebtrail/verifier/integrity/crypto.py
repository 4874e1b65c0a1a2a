"""The cryptography of CloudTrail digests: string to sign, SHA256withRSA signatures, hashes of gzip streams."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_ALGORITHM = "SHA256withRSA"


class LogFormatError(ValueError):
    """A log file is not one complete gzip stream."""


def string_to_sign(digest: Mapping[str, Any], inflated_digest: bytes) -> bytes:
    """``digestEndTime\\nbucket/key\\nhex(sha256(uncompressed digest))\\npreviousDigestSignature``.

    A ``null`` previous signature (first digest of a chain) is written as the literal ``null``, as aws-cli does.
    """
    previous = digest.get("previousDigestSignature")
    previous_text = "null" if previous is None else str(previous)
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{hashlib.sha256(inflated_digest).hexdigest()}\n{previous_text}"
    ).encode()


def load_public_key(der: bytes) -> rsa.RSAPublicKey:
    """Load CloudTrail's public key: DER, PKCS#1 ``RSAPublicKey`` (aws-cli) or ``SubjectPublicKeyInfo``.

    Raises ValueError when it is not an RSA public key.
    """
    key = serialization.load_der_public_key(der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"not an RSA public key: {type(key).__name__}")
    return key


def fingerprint(der: bytes) -> str:
    """MD5 hex of the key's DER bytes (what ``ListPublicKeys`` reports as ``Fingerprint``)."""
    return hashlib.md5(der, usedforsecurity=False).hexdigest()


def verify_signature(public_key: rsa.RSAPublicKey, signature_hex: str, message: bytes) -> bool:
    """RSA PKCS#1 v1.5 with SHA-256. False on a bad signature; ValueError when ``signature_hex`` is not hex."""
    signature = bytes.fromhex(signature_hex)
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sha256_of_gzip(chunks: Iterable[bytes]) -> str:
    """Hex SHA-256 of the uncompressed content of a gzip stream read in ``chunks``.

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
