"""SHA256withRSA in pure Python, for the integrity check inside AWS Lambda (the canary and the sweep).

The Lambda Python runtime has boto3 but no ``cryptography`` ("Lambda runtimes", AWS Lambda Developer Guide), and
its wheels are platform-specific (arm64 manylinux), which would tie the asset to one architecture and a pip run
against a foreign platform at synth time. The ``rsa`` library (with its DER decoder ``pyasn1``) is pure Python,
well kept, and the library aws-cli v1's ``validate-logs`` itself verifies digests with, so the functions carry it
in their asset (:mod:`ebtrail.constructs.lambda_bundle`). Verifying is cheap there: with CloudTrail's public
exponent 65537 it is 17 modular multiplications in CPython's C big integers, and only public data is involved,
so constant time does not matter.

:func:`verify_der_signature` has the signature of :data:`ebtrail.verifier.integrity.pairwise.SignatureVerifier`;
tests hold it to the same verdicts as the CLI's ``cryptography`` verifier.
"""

from __future__ import annotations

import rsa
from pyasn1.error import PyAsn1Error  # type: ignore[import-untyped]  # no stubs; rsa decodes DER keys with it

#: What ``rsa.verify`` names the hash of a valid SHA256withRSA signature.
_SHA256 = "SHA-256"
_DECODE_ERRORS = (PyAsn1Error, ValueError, TypeError, IndexError, KeyError)


def load_public_key(der: bytes) -> rsa.PublicKey:
    """CloudTrail's public key from ListPublicKeys: DER, PKCS#1 ``RSAPublicKey`` (what aws-cli reads) or
    ``SubjectPublicKeyInfo``. ValueError when it is neither."""
    try:
        return rsa.PublicKey.load_pkcs1(der, "DER")
    except _DECODE_ERRORS:
        pass
    try:
        return rsa.PublicKey.load_pkcs1_openssl_der(der)
    except _DECODE_ERRORS:
        pass
    raise ValueError("not a DER-encoded RSA public key (PKCS#1 or SubjectPublicKeyInfo)")


def verify_der_signature(der: bytes, signature: bytes, message: bytes) -> bool:
    """RSA PKCS#1 v1.5 with SHA-256 (a signature over another hash is not SHA256withRSA: False).

    ValueError when ``der`` is not an RSA public key."""
    key = load_public_key(der)
    try:
        return rsa.verify(message, signature, key) == _SHA256
    except rsa.VerificationError:
        return False
