"""Encryption at rest for the TOTP secrets (which, unlike passwords, must be readable to check a code).

AES-256-GCM with a key derived (HKDF-SHA256) from ``SALON_SECRET_KEY``; the user id is authenticated data, so a sealed
secret copied to another user's row does not open. A database leak alone therefore does not reveal 2FA seeds.
Rotating ``SALON_SECRET_KEY`` makes existing seeds unreadable: affected users sign in with a recovery code and set
up 2FA again.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from salon.settings import Settings

VERSION = "v1:"
NONCE_BYTES = 12


@cache
def _cipher(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"salon/totp-secret/v1").derive(secret.encode())
    return AESGCM(key)


def seal(settings: Settings, plaintext: str, *, owner: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(settings.secret).encrypt(nonce, plaintext.encode(), owner.encode())
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, sealed: str, *, owner: str) -> str | None:
    """The plaintext, or None when it cannot be opened (another key, another owner, damaged)."""
    if not sealed.startswith(VERSION):
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.removeprefix(VERSION))
        return _cipher(settings.secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error):
        return None
