"""Two-factor authentication: TOTP (RFC 6238, pyotp) with one-time recovery codes.

A code is accepted for the current 30-second step or one step either side (clock drift). Replays are refused by
remembering the last accepted step per user: the step only moves forward, in one conditional UPDATE, so even two
concurrent requests with the same code cannot both succeed. Recovery codes are 80-bit random strings stored as
SHA-256 and burnt on use the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pyotp

from salon.accounts import sealing
from salon.accounts.schemas import RecoveryCodes, TotpSetup
from salon.accounts.tables import RecoveryCode, User
from salon.lib import db
from salon.lib.errors import Conflict, Unauthorized
from salon.settings import Settings

ISSUER = "salon"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise_recovery_code(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_utc(now))
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _code_refused() -> Unauthorized:
    return Unauthorized(
        "The two-factor code is wrong, expired or was already used. Wait for the next code and try again.",
        extra={"totp_required": True, "code": "totp_invalid"},
    )


async def _accept_totp(user_id: uuid.UUID, secret: str, code: str) -> bool:
    """True when ``code`` is valid now and its time step was never accepted before for this user."""
    step = _matching_step(secret, code, time.time())
    if step is None:
        return False
    async with db.unit_of_work():
        advanced = await (
            User.update({User.totp_last_step: step})
            .where((User.id == user_id) & (User.totp_last_step.is_null() | (User.totp_last_step < step)))
            .returning(User.id)
        )
    return bool(advanced)


async def _burn_recovery_code(user_id: uuid.UUID, code: str) -> bool:
    async with db.unit_of_work():
        burnt = await (
            RecoveryCode.update({RecoveryCode.used_at: _utc(time.time())})
            .where(
                (RecoveryCode.user == user_id)
                & (RecoveryCode.code_hash == _hash_recovery_code(code))
                & RecoveryCode.used_at.is_null()
            )
            .returning(RecoveryCode.id)
        )
    return bool(burnt)


def _secret_of(settings: Settings, user: dict[str, Any]) -> str | None:
    sealed = user["totp_secret"]
    return None if sealed is None else sealing.unseal(settings, sealed, owner=str(user["id"]))


async def check_second_factor(
    settings: Settings, user: dict[str, Any], *, totp_code: str | None, recovery_code: str | None
) -> None:
    """Accept a fresh TOTP code or an unused recovery code for ``user`` (a users row with 2FA on), or raise 401."""
    secret = _secret_of(settings, user)
    if totp_code is not None and secret is not None and await _accept_totp(user["id"], secret, totp_code):
        return
    if recovery_code is not None and await _burn_recovery_code(user["id"], recovery_code):
        return
    raise _code_refused()


async def _load(user_id: uuid.UUID) -> dict[str, Any]:
    user = await User.select().where(User.id == user_id).first()
    if user is None or not user["is_active"]:
        raise Unauthorized("This account no longer exists.")
    return user


async def setup(settings: Settings, user_id: uuid.UUID) -> TotpSetup:
    """Create (or replace, while not yet enabled) the TOTP secret and return it with its otpauth:// URI."""
    user = await _load(user_id)
    if user["totp_enabled_at"] is not None:
        raise Conflict("Two-factor authentication is already on. Disable it first to set up a new authenticator.")
    secret = pyotp.random_base32()
    async with db.unit_of_work():
        await User.update(
            {User.totp_secret: sealing.seal(settings, secret, owner=str(user_id)), User.totp_last_step: None}
        ).where(User.id == user_id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user["username"], issuer_name=ISSUER)
    return TotpSetup(secret=secret, otpauth_uri=uri)


async def enable(settings: Settings, user_id: uuid.UUID, code: str) -> RecoveryCodes:
    """Turn 2FA on once the user proves their authenticator works; returns recovery codes (shown only now)."""
    user = await _load(user_id)
    if user["totp_enabled_at"] is not None:
        raise Conflict("Two-factor authentication is already on.")
    secret = _secret_of(settings, user)
    if secret is None:
        raise Conflict("Set up two-factor first: POST /api/v1/auth/2fa/setup, then enable with a code from the app.")
    if not await _accept_totp(user_id, secret, code):
        raise _code_refused()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    async with db.unit_of_work():
        await User.update({User.totp_enabled_at: _utc(time.time())}).where(User.id == user_id)
        await RecoveryCode.delete().where(RecoveryCode.user == user_id)
        await RecoveryCode.insert(*[RecoveryCode(user=user_id, code_hash=_hash_recovery_code(c)) for c in codes])
    return RecoveryCodes(recovery_codes=codes)


async def disable(settings: Settings, user_id: uuid.UUID, *, code: str | None, recovery_code: str | None) -> None:
    user = await _load(user_id)
    if user["totp_enabled_at"] is None:
        raise Conflict("Two-factor authentication is not on.")
    if code is None and recovery_code is None:
        raise Unauthorized(
            "Send a current code or a recovery_code to turn two-factor off.", extra={"totp_required": True}
        )
    await check_second_factor(settings, user, totp_code=code, recovery_code=recovery_code)
    async with db.unit_of_work():
        await User.update({User.totp_secret: None, User.totp_enabled_at: None, User.totp_last_step: None}).where(
            User.id == user_id
        )
        await RecoveryCode.delete().where(RecoveryCode.user == user_id)
