"""Sign in with Google: verify an ID token against Google's JWKS, then sign in the linked account or create one.

The token's signature is checked with the key named by its ``kid`` from ``SALON_GOOGLE_JWKS_URL`` (PyJWT's
``PyJWKClient``, which caches the key set for five minutes), and its audience (``SALON_GOOGLE_CLIENT_ID``), issuer and
expiry are required and checked. An account is found by the Google subject first, then by email when Google says the
email is verified (which links the two); otherwise a new account is created.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from functools import cache
from typing import Any

import jwt

from salon.accounts import services, sessions, throttle, twofactor
from salon.accounts.schemas import GoogleBody, TokenResponse
from salon.accounts.sessions import ClientInfo
from salon.accounts.tables import User
from salon.lib import db
from salon.lib.errors import Conflict, ServiceUnavailable, Unauthorized
from salon.settings import Settings

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
JWKS_TIMEOUT_SECONDS = 5


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, timeout=JWKS_TIMEOUT_SECONDS)


def _refused(reason: str) -> Unauthorized:
    return Unauthorized(f"The Google sign-in token was refused: {reason}", extra={"code": "invalid_google_token"})


def _verify(settings: Settings, id_token: str) -> dict[str, Any]:
    """The token's claims once signature, audience, issuer and expiry check out (blocking: run in a thread)."""
    try:
        key = _jwks_client(settings.google_jwks_url).get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError as exc:
        raise ServiceUnavailable("Google's signing keys could not be fetched; try again shortly.") from exc
    except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
        raise _refused("it is malformed or signed with an unknown key.") from exc
    try:
        return jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=settings.google_client_id,
            issuer=ISSUERS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _refused("it has expired; sign in with Google again.") from exc
    except jwt.InvalidAudienceError as exc:
        raise _refused("it was issued for another application.") from exc
    except jwt.InvalidIssuerError as exc:
        raise _refused("it was not issued by Google.") from exc
    except jwt.InvalidSignatureError as exc:
        raise _refused("its signature does not verify.") from exc
    except jwt.PyJWTError as exc:
        raise _refused(str(exc)) from exc


async def verify_id_token(settings: Settings, id_token: str) -> dict[str, Any]:
    if not settings.google_client_id:
        raise ServiceUnavailable("Sign in with Google is not configured on this server (SALON_GOOGLE_CLIENT_ID).")
    return await asyncio.to_thread(_verify, settings, id_token)


def _username_base(claims: dict[str, Any]) -> str:
    source = str(claims.get("email") or claims.get("name") or "user").partition("@")[0]
    base = re.sub(r"[^A-Za-z0-9_]", "", source)[:24]
    return base if len(base) >= 3 else f"user{base}"


async def _free_username(claims: dict[str, Any]) -> str:
    base = _username_base(claims)
    candidate = base
    while await User.exists().where(User.username_key == candidate.lower()):
        candidate = f"{base}_{secrets.randbelow(10**5)}"
    return candidate


async def _find_or_create(settings: Settings, claims: dict[str, Any], client: ClientInfo) -> dict[str, Any]:
    subject = str(claims["sub"])
    verified = claims.get("email_verified") is True and bool(claims.get("email"))
    email = services.normalise_email(str(claims["email"])) if verified else None
    user = await User.select().where(User.google_subject == subject).first()
    if user is None and email is not None:
        user = await User.select().where(User.email == email).first()
        if user is not None and user["google_subject"] is not None:
            raise Conflict(
                "The account with this email is linked to a different Google account. Sign in with that one, or with "
                "your password."
            )
        if user is not None:
            async with db.unit_of_work():
                await User.update({User.google_subject: subject}).where(User.id == user["id"])
            user["google_subject"] = subject
    if user is not None:
        return user
    await throttle.count_registration(settings, client.ip_address)
    for _ in range(3):  # a concurrent registration may take the generated username
        try:
            return await services.create_user(
                settings,
                username=await _free_username(claims),
                email=email,
                password=None,
                display_name=str(claims.get("name") or "")[:50],
                google_subject=subject,
            )
        except Conflict as exc:
            if not isinstance(exc.extra, dict) or exc.extra.get("field") != "username":
                raise
    raise ServiceUnavailable("Could not choose a username for the new account; try again.")


async def sign_in(settings: Settings, body: GoogleBody, client: ClientInfo) -> TokenResponse:
    claims = await verify_id_token(settings, body.id_token)
    user = await _find_or_create(settings, claims, client)
    if not user["is_active"]:
        raise Unauthorized(
            "This account was deactivated and can no longer sign in.", extra={"code": "account_deactivated"}
        )
    if user["totp_enabled_at"] is not None:
        if body.totp_code is None:
            raise Unauthorized(
                "This account uses two-factor authentication: send totp_code with the Google token.",
                extra={"totp_required": True, "code": "totp_required"},
            )
        await twofactor.check_second_factor(settings, user, totp_code=body.totp_code, recovery_code=None)
    return services.token_response(user, await sessions.start_session(settings, user, client))
