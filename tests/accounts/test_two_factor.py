"""Two-factor: setup, enable with recovery codes, login with TOTP, replay refusal, disable."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pyotp

from tests.helpers import DEFAULT_PASSWORD, TestUser, create_user

TFA = "/api/v1/auth/2fa"
LOGIN = "/api/v1/auth/login"


async def enable_2fa(client: httpx.AsyncClient, user: TestUser) -> tuple[pyotp.TOTP, list[str]]:
    setup = await client.post(f"{TFA}/setup", headers=user.headers)
    assert setup.status_code == 200, setup.text
    totp = pyotp.TOTP(setup.json()["secret"])
    enabled = await client.post(f"{TFA}/enable", headers=user.headers, json={"code": totp.now()})
    assert enabled.status_code == 200, enabled.text
    return totp, enabled.json()["recovery_codes"]


def other_step_code(totp: pyotp.TOTP, steps: int) -> str:
    """The code of a neighbouring 30-second step (still inside the accepted window)."""
    return totp.at(time.time() + steps * totp.interval)


async def test_setup_returns_secret_and_otpauth_uri(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    response = await client.post(f"{TFA}/setup", headers=user.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/salon:alice?")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    # not on until enabled
    assert (await client.get("/api/v1/users/me", headers=user.headers)).json()["two_factor_enabled"] is False
    assert (await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})).status_code == 200


async def test_enable_needs_setup_and_a_valid_code(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    assert (await client.post(f"{TFA}/enable", headers=user.headers, json={"code": "123456"})).status_code == 409
    await client.post(f"{TFA}/setup", headers=user.headers)
    wrong = await client.post(f"{TFA}/enable", headers=user.headers, json={"code": "000000"})
    assert wrong.status_code == 401
    assert (await client.post(f"{TFA}/enable", headers=user.headers, json={"code": "12ab56"})).status_code == 400


async def test_enable_returns_recovery_codes_and_turns_2fa_on(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    _, codes = await enable_2fa(client, user)

    assert len(codes) == len(set(codes)) == 10
    assert (await client.get("/api/v1/users/me", headers=user.headers)).json()["two_factor_enabled"] is True
    assert (await client.post(f"{TFA}/setup", headers=user.headers)).status_code == 409


async def test_login_without_code_is_401_with_totp_required(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    await enable_2fa(client, user)

    response = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert response.json()["totp_required"] is True
    wrong = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD, "totp_code": "000000"})
    assert wrong.status_code == 401
    assert wrong.json()["totp_required"] is True
    # a wrong password never reveals that 2FA is on
    bad_password = await client.post(LOGIN, json={"login": "alice", "password": "wrong password 1"})
    assert "totp_required" not in bad_password.json()


async def test_login_with_a_fresh_code_and_replay_refused(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    totp, _ = await enable_2fa(client, user)
    code = other_step_code(totp, 1)  # the enable call used the current step

    first = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD, "totp_code": code})
    replay = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD, "totp_code": code})

    assert first.status_code == 200, first.text
    assert replay.status_code == 401
    assert replay.json()["code"] == "totp_invalid"
    # an older step than the last accepted one is refused too
    older = other_step_code(totp, -1)
    stale = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD, "totp_code": older})
    assert stale.status_code == 401


async def test_the_code_used_to_enable_cannot_be_replayed_at_login(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    setup = (await client.post(f"{TFA}/setup", headers=user.headers)).json()
    totp = pyotp.TOTP(setup["secret"])
    code = totp.now()
    assert (await client.post(f"{TFA}/enable", headers=user.headers, json={"code": code})).status_code == 200

    replay = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD, "totp_code": code})

    assert replay.status_code == 401


async def test_recovery_code_signs_in_once(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    _, codes = await enable_2fa(client, user)

    body = {"login": "alice", "password": DEFAULT_PASSWORD, "recovery_code": codes[0].upper()}
    first = await client.post(LOGIN, json=body)
    again = await client.post(LOGIN, json=body)

    assert first.status_code == 200
    assert again.status_code == 401


async def test_disable_needs_a_code_then_login_needs_none(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    totp, codes = await enable_2fa(client, user)

    assert (await client.post(f"{TFA}/disable", headers=user.headers, json={})).status_code == 401
    wrong = await client.post(f"{TFA}/disable", headers=user.headers, json={"code": "000000"})
    assert wrong.status_code == 401
    ok = await client.post(f"{TFA}/disable", headers=user.headers, json={"recovery_code": codes[3]})
    assert ok.status_code == 204

    assert (await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})).status_code == 200
    assert (await client.post(f"{TFA}/disable", headers=user.headers, json={"code": totp.now()})).status_code == 409


async def test_2fa_endpoints_need_sign_in_and_act_on_the_caller_only(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    await enable_2fa(client, alice)

    assert (await client.post(f"{TFA}/setup")).status_code == 401
    assert (await client.post(f"{TFA}/disable", headers=bob.headers, json={"code": "123456"})).status_code == 409
    assert (await client.get("/api/v1/users/me", headers=alice.headers)).json()["two_factor_enabled"] is True


async def test_deactivation_with_2fa_needs_a_code(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    totp, _ = await enable_2fa(client, user)

    without = await client.request(
        "DELETE", "/api/v1/users/me", headers=user.headers, json={"password": DEFAULT_PASSWORD}
    )
    assert without.status_code == 401
    assert without.json()["totp_required"] is True
    with_code = await client.request(
        "DELETE",
        "/api/v1/users/me",
        headers=user.headers,
        json={"password": DEFAULT_PASSWORD, "totp_code": other_step_code(totp, 1)},
    )
    assert with_code.status_code == 204


async def test_totp_secret_is_encrypted_at_rest_and_bound_to_its_user(client: httpx.AsyncClient, settings: Any) -> None:
    import msgspec

    from salon.accounts import sealing
    from salon.accounts.tables import User

    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    secret = (await client.post(f"{TFA}/setup", headers=alice.headers)).json()["secret"]

    stored = await User.select(User.totp_secret).where(User.username_key == "alice").first()
    assert stored is not None
    assert secret not in stored["totp_secret"]
    assert stored["totp_secret"].startswith("v1:")
    assert sealing.unseal(settings, stored["totp_secret"], owner=alice.id) == secret
    assert sealing.unseal(settings, stored["totp_secret"], owner=bob.id) is None
    other_key = msgspec.structs.replace(settings, secret_key="another-secret-key-of-sufficient-length-xyz")
    assert sealing.unseal(other_key, stored["totp_secret"], owner=alice.id) is None

    # a sealed secret copied into another user's row does not open there
    await client.post(f"{TFA}/setup", headers=bob.headers)
    await User.update({User.totp_secret: stored["totp_secret"]}).where(User.username_key == "bob")
    response = await client.post(f"{TFA}/enable", headers=bob.headers, json={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 409
