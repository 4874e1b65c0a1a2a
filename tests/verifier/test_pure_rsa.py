"""The Lambda's pure-Python SHA256withRSA (rsa) gives the verdicts of the CLI's cryptography on the same inputs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from ebtrail.verifier.integrity import crypto
from ebtrail.verifier.integrity.pure_rsa import load_public_key, verify_der_signature
from tests.verifier.integrity_fixtures import SigningKey

MESSAGE = b"2026-11-20T11:00:00Z\nbucket/AWSLogs/123456789012/CloudTrail-Digest/x.json.gz\nabc\nnull"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


def cryptography_verdict(der: bytes, signature: bytes, message: bytes) -> bool:
    return crypto.verify_signature(crypto.load_public_key(der), signature.hex(), message)


@pytest.mark.parametrize(
    "case",
    ["valid", "message changed", "signature changed", "other key", "sha1 signature", "truncated signature"],
)
def test_same_verdict_as_cryptography(key: SigningKey, case: str) -> None:
    other = SigningKey.generate() if case == "other key" else key
    signature = bytes.fromhex(other.sign_hex(MESSAGE))
    message = MESSAGE
    if case == "message changed":
        message = MESSAGE + b"x"
    elif case == "signature changed":
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    elif case == "sha1 signature":  # a valid RSA signature, but not SHA256withRSA
        signature = key.private.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA1())
    elif case == "truncated signature":
        signature = signature[:-1]
    expected = case == "valid"
    assert verify_der_signature(key.der, signature, message) is expected
    assert cryptography_verdict(key.der, signature, message) is expected


def test_subject_public_key_info_is_read_too(key: SigningKey) -> None:
    spki = key.private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert load_public_key(spki) == load_public_key(key.der)
    assert verify_der_signature(spki, bytes.fromhex(key.sign_hex(MESSAGE)), MESSAGE)


@pytest.mark.parametrize("der", [b"", b"not der", b"\x30\x03\x02\x01\x05"])
def test_not_an_rsa_key_is_a_value_error(der: bytes) -> None:
    with pytest.raises(ValueError, match="not a DER-encoded RSA public key"):
        verify_der_signature(der, b"\x00" * 256, MESSAGE)


def test_an_ec_key_is_a_value_error() -> None:
    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="not a DER-encoded RSA public key"):
        load_public_key(der)
