"""The RSA half of CloudTrail digest validation (``cryptography``): SHA256withRSA signatures. The hashing half
(string to sign, hashes of gzip streams) is in :mod:`ebtrail.verifier.integrity.hashing` and re-exported here."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ebtrail.verifier.integrity.hashing import (
    SIGNATURE_ALGORITHM,
    LogFormatError,
    fingerprint,
    sha256_of_gzip,
    string_to_sign,
)

__all__ = [
    "SIGNATURE_ALGORITHM",
    "LogFormatError",
    "fingerprint",
    "load_public_key",
    "sha256_of_gzip",
    "string_to_sign",
    "verify_der_signature",
    "verify_signature",
]


def load_public_key(der: bytes) -> rsa.RSAPublicKey:
    """Load CloudTrail's public key: DER, PKCS#1 ``RSAPublicKey`` (aws-cli) or ``SubjectPublicKeyInfo``.

    Raises ValueError when it is not an RSA public key.
    """
    key = serialization.load_der_public_key(der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"not an RSA public key: {type(key).__name__}")
    return key


def verify_signature(public_key: rsa.RSAPublicKey, signature_hex: str, message: bytes) -> bool:
    """RSA PKCS#1 v1.5 with SHA-256. False on a bad signature; ValueError when ``signature_hex`` is not hex."""
    signature = bytes.fromhex(signature_hex)
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify_der_signature(der: bytes, signature: bytes, message: bytes) -> bool:
    """RSA PKCS#1 v1.5 with SHA-256 with the DER public key ``der``; ValueError when it is not an RSA key."""
    try:
        load_public_key(der).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
