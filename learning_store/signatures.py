"""Signed statements (xAPI 1.0.3 Data 2.6): the JWS in a signature attachment.

The LRS must check that the JWS is well formed, uses RS256/RS384/RS512 and that its
payload is the statement as it was before the signature attachment was added. When the
JWS header carries an ``x5c`` certificate chain, the signature is verified with the first
certificate's key; without one there is no key to verify against, and the spec leaves
trust decisions to the consumer.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from learning_store.comparison import same_statement
from learning_store.errors import StatementValidationError

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
ALGORITHMS: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def _b64url_decode(segment: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatementValidationError(f"signature: the JWS {what} is not base64url") from exc


def is_signature_attachment(attachment: dict[str, Any]) -> bool:
    """True for the attachment that carries the statement's JWS."""
    return attachment.get("usageType") == SIGNATURE_USAGE_TYPE


def verify_signed_statement(statement: dict[str, Any], jws_bytes: bytes) -> None:
    """Raise ``StatementValidationError`` unless ``jws_bytes`` signs ``statement``."""
    try:
        token = jws_bytes.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise StatementValidationError("signature: the JWS is not ASCII text") from exc
    parts = token.split(".")
    if len(parts) != 3:
        raise StatementValidationError("signature: the JWS must use the compact serialization")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(_b64url_decode(header_b64, "header"))
    except ValueError as exc:
        raise StatementValidationError("signature: the JWS header is not JSON") from exc
    if not isinstance(header, dict):
        raise StatementValidationError("signature: the JWS header must be a JSON object")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise StatementValidationError(
            f"signature: alg {algorithm!r} is not allowed; use RS256, RS384 or RS512"
        )
    try:
        payload = json.loads(_b64url_decode(payload_b64, "payload"))
    except ValueError as exc:
        raise StatementValidationError(
            "signature: the JWS payload is not a JSON serialization of the statement"
        ) from exc
    if not isinstance(payload, dict):
        raise StatementValidationError("signature: the JWS payload must be a statement object")
    unsigned = {k: v for k, v in statement.items() if k != "attachments"}
    payload_unsigned = {k: v for k, v in payload.items() if k != "attachments"}
    if "id" not in payload_unsigned and "id" in unsigned:
        payload_unsigned["id"] = unsigned["id"]
    if not same_statement(unsigned, payload_unsigned):
        raise StatementValidationError(
            "signature: the JWS payload does not match the statement it is attached to"
        )
    chain = header.get("x5c")
    if chain:
        _verify_with_certificate(chain, algorithm, f"{header_b64}.{payload_b64}", signature_b64)


def _verify_with_certificate(chain: Any, algorithm: str, signing_input: str, sig_b64: str) -> None:
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise StatementValidationError("signature: x5c must be a list of base64 certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
    except (ValueError, binascii.Error) as exc:
        raise StatementValidationError("signature: x5c[0] is not a valid certificate") from exc
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise StatementValidationError("signature: x5c[0] must hold an RSA key")
    try:
        key.verify(
            _b64url_decode(sig_b64, "signature"),
            signing_input.encode("ascii"),
            padding.PKCS1v15(),
            ALGORITHMS[algorithm](),
        )
    except InvalidSignature as exc:
        raise StatementValidationError(
            "signature: the JWS signature does not verify with x5c[0]"
        ) from exc
