"""Small authenticated encryption for values handed to clients and read back (API cursors):
AES-GCM from `cryptography`, with a key derived from SECRET_KEY per purpose, so a client
can neither read nor alter what it carries."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class DecryptionError(ValueError):
    """The token was not sealed by this service for this purpose, or was altered."""


def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}\x00{secret}".encode()).digest()


def seal(secret: str, purpose: str, value: Any) -> str:
    """Encrypt a JSON-serialisable value into URL-safe text."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, orjson.dumps(value), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def open_sealed(secret: str, purpose: str, token: str) -> Any:
    """The value sealed in `token`; DecryptionError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        if len(nonce) != _NONCE_BYTES:
            raise DecryptionError("too short")
        plain = AESGCM(_key(secret, purpose)).decrypt(nonce, sealed, purpose.encode())
        return orjson.loads(plain)
    except (InvalidTag, binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise DecryptionError(str(exc)) from None
