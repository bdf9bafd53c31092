"""Passwords: the policy new passwords must meet, and argon2id hashing off the event loop.

Hashing and verifying cost tens of milliseconds of CPU each by design, so they run in a worker thread (argon2-cffi
releases the GIL). Verifying against an unknown user still costs one verification (against a fixed dummy hash), so
response time does not reveal whether an account exists.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from salon.lib.errors import ValidationFailed
from salon.settings import Settings

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; the bound keeps a request from buying minutes of CPU


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of breached/common passwords (lower-cased), read once."""
    text = resources.files("salon.accounts").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_policy(password: str, *, username: str = "", email: str = "") -> None:
    """Raise 422 saying why ``password`` is not acceptable as a new password."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"The password is too short: use at least {MIN_LENGTH} characters (a few unrelated words work well).",
            extra={"field": "password", "code": "password_too_short"},
        )
    lowered = password.lower()
    if lowered in common_passwords():
        raise ValidationFailed(
            "This password is on the list of commonly used passwords that attackers try first; choose another.",
            extra={"field": "password", "code": "password_too_common"},
        )
    if lowered in {username.lower(), email.lower(), email.lower().partition("@")[0]} - {""}:
        raise ValidationFailed(
            "The password must not be your username or email address.",
            extra={"field": "password", "code": "password_is_identity"},
        )


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: Settings) -> PasswordHasher:
    """The argon2id hasher configured by settings (``SALON_PASSWORD_HASH_*``)."""
    return _hasher(
        settings.password_hash_time_cost, settings.password_hash_memory_kib, settings.password_hash_parallelism
    )


@cache
def _dummy_hash(ph: PasswordHasher) -> str:
    return ph.hash("salon dummy password used to keep timing equal")


async def hash_password(settings: Settings, password: str) -> str:
    return await asyncio.to_thread(hasher(settings).hash, password)


def _verify(ph: PasswordHasher, password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            ph.verify(_dummy_hash(ph), password)
        return False
    try:
        return ph.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(settings: Settings, password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. A missing hash (no such user, Google-only account) costs the same: False."""
    return await asyncio.to_thread(_verify, hasher(settings), password_hash, password)


def needs_rehash(settings: Settings, password_hash: str) -> bool:
    """True when the hash was made with other argon2 parameters than the current settings."""
    try:
        return hasher(settings).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
