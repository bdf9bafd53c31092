"""Refresh rotation and theft detection, logout, and the sessions list."""

from __future__ import annotations

import asyncio

import httpx

from tests.helpers import DEFAULT_PASSWORD, create_user

REFRESH = "/api/v1/auth/refresh"
SESSIONS = "/api/v1/auth/sessions"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client: httpx.AsyncClient, login: str, user_agent: str = "test-agent") -> dict:
    response = await client.post(
        "/api/v1/auth/login",
        json={"login": login, "password": DEFAULT_PASSWORD},
        headers={"User-Agent": user_agent},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_refresh_rotates_the_token(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    first = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != user.refresh_token
    assert rotated["user"]["id"] == user.id
    assert (await client.get("/api/v1/users/me", headers=bearer(rotated["access_token"]))).status_code == 200

    second = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert second.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    rotated = (await client.post(REFRESH, json={"refresh_token": user.refresh_token})).json()

    replay = await client.post(REFRESH, json={"refresh_token": user.refresh_token})

    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    # the legitimate holder's newer tokens are dead too
    newer = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert newer.status_code == 401
    assert (await client.get("/api/v1/users/me", headers=bearer(rotated["access_token"]))).status_code == 401
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 401


async def test_family_revocation_spares_other_sessions(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    other_device = await sign_in(client, "alice")
    await client.post(REFRESH, json={"refresh_token": user.refresh_token})

    await client.post(REFRESH, json={"refresh_token": user.refresh_token})  # reuse on the first device

    assert (await client.get("/api/v1/users/me", headers=bearer(other_device["access_token"]))).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": other_device["refresh_token"]})).status_code == 200


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH, json={"refresh_token": "made-up"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"
    assert (await client.post(REFRESH, json={})).status_code == 400


async def test_logout_revokes_the_access_token_and_its_family(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    other_device = await sign_in(client, "alice")

    response = await client.post("/api/v1/auth/logout", headers=user.headers)

    assert response.status_code == 204
    refused = await client.get("/api/v1/users/me", headers=user.headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert (await client.post(REFRESH, json={"refresh_token": user.refresh_token})).status_code == 401
    assert (await client.get("/api/v1/users/me", headers=bearer(other_device["access_token"]))).status_code == 200


async def test_deny_listed_jti_alone_refuses_the_token(client: httpx.AsyncClient) -> None:
    """The jti deny-list works on its own, not only through the ended session."""
    import jwt

    from salon.lib import valkey as valkey_client
    from salon.lib.auth import deny_jti_key

    user = await create_user(client, "alice")
    jti = jwt.decode(user.access_token, options={"verify_signature": False})["jti"]
    await valkey_client.client().set(deny_jti_key(jti), "1", ex=60)

    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 401


async def test_logout_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/auth/logout")).status_code == 401


async def test_sessions_list_shows_devices_and_marks_the_current_one(client: httpx.AsyncClient) -> None:
    await create_user(client, "alice")
    phone = await sign_in(client, "alice", user_agent="Phone/1.0")
    laptop = await sign_in(client, "alice", user_agent="Laptop/2.0")

    response = await client.get(SESSIONS, headers=bearer(laptop["access_token"]))

    assert response.status_code == 200
    items = response.json()["items"]
    assert [s["user_agent"] for s in items] == ["Laptop/2.0", "Phone/1.0", "python-httpx/" + httpx.__version__]
    assert [s["current"] for s in items] == [True, False, False]
    assert all(s["ip_address"] == "203.0.113.7" for s in items)
    assert {"created_at", "last_used_at", "expires_at", "id"} <= set(items[0])
    assert phone["access_token"]


async def test_sessions_list_paginates(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    for _ in range(4):
        await sign_in(client, "alice")

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(SESSIONS, headers=user.headers, params=params)).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert (await client.get(SESSIONS, headers=user.headers, params={"limit": 0})).status_code == 400
    assert (await client.get(SESSIONS, headers=user.headers, params={"cursor": "junk"})).status_code == 400


async def test_ending_a_session_signs_that_device_out(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    phone = await sign_in(client, "alice", user_agent="Phone/1.0")
    sessions = (await client.get(SESSIONS, headers=user.headers)).json()["items"]
    phone_session = next(s for s in sessions if s["user_agent"] == "Phone/1.0")

    response = await client.delete(f"{SESSIONS}/{phone_session['id']}", headers=user.headers)

    assert response.status_code == 204
    assert (await client.get("/api/v1/users/me", headers=bearer(phone["access_token"]))).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})).status_code == 401
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 200
    remaining = (await client.get(SESSIONS, headers=user.headers)).json()["items"]
    assert phone_session["id"] not in [s["id"] for s in remaining]


async def test_a_user_cannot_see_or_end_another_users_sessions(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    alice_session = (await client.get(SESSIONS, headers=alice.headers)).json()["items"][0]["id"]

    bob_sessions = (await client.get(SESSIONS, headers=bob.headers)).json()["items"]
    assert alice_session not in [s["id"] for s in bob_sessions]
    response = await client.delete(f"{SESSIONS}/{alice_session}", headers=bob.headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/users/me", headers=alice.headers)).status_code == 200
    assert (await client.delete(f"{SESSIONS}/not-a-uuid", headers=bob.headers)).status_code == 404


async def test_concurrent_refreshes_with_one_token_let_one_through_then_end_the_family(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client, "alice")

    responses = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": user.refresh_token}) for _ in range(2))
    )

    assert sorted(r.status_code for r in responses) == [200, 401]
    winner = next(r for r in responses if r.status_code == 200).json()
    # the second use was a reuse: the family is gone, including the winner's new token
    assert (await client.post(REFRESH, json={"refresh_token": winner["refresh_token"]})).status_code == 401


async def test_credential_routes_ignore_a_stale_access_token(client: httpx.AsyncClient) -> None:
    """A client that attaches its access token to every request still refreshes and signs in once that token is
    expired, revoked or garbage: these routes take their credentials from the body (the token used to make them 401,
    "refresh it", which a client could then never do)."""
    alice = await create_user(client, "alice")
    await client.post("/api/v1/auth/logout", headers=alice.headers)  # the access token is now revoked
    for stale in (alice.headers, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        signed_in = await client.post(
            "/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD}, headers=stale
        )
        assert signed_in.status_code == 200, signed_in.text
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": signed_in.json()["refresh_token"]}, headers=stale
        )
        assert refreshed.status_code == 200, refreshed.text
    # Elsewhere a bad token is still refused, also on routes anyone may call.
    explore = await client.get("/api/v1/explore", headers={"Authorization": "Bearer not-a-token"})
    assert explore.status_code == 401
