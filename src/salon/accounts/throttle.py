"""Brute-force limits for sign-in and registration: exact counters in Valkey shared by every app instance.

Sign-in counts every attempt before the password is checked (so concurrent guesses cannot slip past the limit) and
gives the attempt back when it succeeds: what remains counted is failures. Limits apply per account (keyed by the user
id, or by the normalised login when no such user exists, so unknown names are limited the same way) and per client
address.
"""

from __future__ import annotations

import uuid

from salon.lib import ratelimit
from salon.lib.errors import RateLimited
from salon.settings import Settings

REGISTER_WINDOW_SECONDS = 3600


def _account_key(account: uuid.UUID | str) -> str:
    return f"auth:fail:account:{account}"


def _address_key(address: str) -> str:
    return f"auth:fail:addr:{address}"


async def start_login_attempt(settings: Settings, account: uuid.UUID | str, address: str) -> None:
    """Count a sign-in attempt; 429 with Retry-After when the account or the address is over its failure limit."""
    retry_after = await ratelimit.take(
        [_account_key(account), _address_key(address)],
        limits=[settings.login_max_failures, settings.login_max_failures_per_ip],
        window_seconds=settings.login_failure_window_seconds,
    )
    if retry_after is not None:
        raise RateLimited(
            f"Too many failed sign-in attempts. Try again in {retry_after} seconds, or reset your password.",
            retry_after=retry_after,
        )


async def login_succeeded(account: uuid.UUID | str, address: str) -> None:
    """A successful sign-in clears the account's failures and does not count against the address."""
    await ratelimit.clear(_account_key(account))
    await ratelimit.give_back(_address_key(address))


async def login_needs_second_factor(account: uuid.UUID | str, address: str) -> None:
    """The password was right and only the TOTP code is missing: not a failure."""
    await ratelimit.give_back(_account_key(account))
    await ratelimit.give_back(_address_key(address))


async def count_registration(settings: Settings, address: str) -> None:
    retry_after = await ratelimit.take(
        [f"auth:register:addr:{address}"],
        limits=[settings.register_max_per_ip_per_hour],
        window_seconds=REGISTER_WINDOW_SECONDS,
    )
    if retry_after is not None:
        raise RateLimited(
            f"Too many accounts were created from your network recently. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )
