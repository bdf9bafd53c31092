"""Failed sign-ins are limited per account and per address with exact counters in Valkey, shared by every app
instance; registration is limited per address."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import DEFAULT_PASSWORD, create_user

LOGIN = "/api/v1/auth/login"
WRONG = "wrong password guess"


async def test_account_limit_holds_across_two_app_processes(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    await create_user(client, "alice")
    limits = {"SALON_LOGIN_MAX_FAILURES": "3", "SALON_LOGIN_MAX_FAILURES_PER_IP": "100"}
    first, second = live_server_factory(limits), live_server_factory(limits)

    async with httpx.AsyncClient(timeout=10) as http:
        statuses = []
        for server in (first, second, first):
            response = await http.post(f"{server.url}{LOGIN}", json={"login": "alice", "password": WRONG})
            statuses.append(response.status_code)
        assert statuses == [401, 401, 401]

        # the fourth attempt, on the other process, is refused even with the right password
        blocked = await http.post(f"{second.url}{LOGIN}", json={"login": "alice", "password": DEFAULT_PASSWORD})
        assert blocked.status_code == 429
        retry_after = int(blocked.headers["Retry-After"])
        assert 0 < retry_after <= 15 * 60
        assert blocked.json()["retry_after"] == retry_after
        assert blocked.headers["content-type"].startswith("application/problem+json")
        also_blocked = await http.post(f"{first.url}{LOGIN}", json={"login": "ALICE", "password": DEFAULT_PASSWORD})
        assert also_blocked.status_code == 429

        # another account from the same address is not affected
        await create_user(client, "bob")
        other = await http.post(f"{first.url}{LOGIN}", json={"login": "bob", "password": DEFAULT_PASSWORD})
        assert other.status_code == 200


async def test_address_limit_holds_across_two_app_instances(
    client: httpx.AsyncClient, app_factory: Callable[..., httpx.AsyncClient]
) -> None:
    await create_user(client, "alice")
    limits = {"login_max_failures": 100, "login_max_failures_per_ip": 4, "address": "198.51.100.20"}

    async with app_factory(**limits) as one, app_factory(**limits) as two:
        for index, instance in enumerate((one, two, one, two)):
            response = await instance.post(LOGIN, json={"login": f"nobody{index}", "password": WRONG})
            assert response.status_code == 401
        blocked = await one.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0

    # a different address still gets in
    assert (await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})).status_code == 200


async def test_a_successful_sign_in_clears_the_accounts_failures(
    client: httpx.AsyncClient, app_factory: Callable[..., httpx.AsyncClient]
) -> None:
    await create_user(client, "alice")

    async with app_factory(login_max_failures=2, login_max_failures_per_ip=100) as limited:
        assert (await limited.post(LOGIN, json={"login": "alice", "password": WRONG})).status_code == 401
        assert (await limited.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})).status_code == 200
        # the earlier failure is forgotten: two more are allowed before the limit
        assert (await limited.post(LOGIN, json={"login": "alice", "password": WRONG})).status_code == 401
        assert (await limited.post(LOGIN, json={"login": "alice", "password": WRONG})).status_code == 401
        assert (await limited.post(LOGIN, json={"login": "alice", "password": WRONG})).status_code == 429


async def test_successful_sign_ins_do_not_count_against_the_address(
    client: httpx.AsyncClient, app_factory: Callable[..., httpx.AsyncClient]
) -> None:
    await create_user(client, "alice")

    async with app_factory(login_max_failures=100, login_max_failures_per_ip=2) as limited:
        for _ in range(5):
            ok = await limited.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})
            assert ok.status_code == 200
        assert (await limited.post(LOGIN, json={"login": "x1", "password": WRONG})).status_code == 401
        assert (await limited.post(LOGIN, json={"login": "x2", "password": WRONG})).status_code == 401
        assert (await limited.post(LOGIN, json={"login": "x3", "password": WRONG})).status_code == 429


async def test_registration_is_limited_per_address(app_factory: Callable[..., httpx.AsyncClient]) -> None:
    async with app_factory(register_max_per_ip_per_hour=2, address="198.51.100.30") as limited:
        for name in ("alice", "bob"):
            response = await limited.post(
                "/api/v1/auth/register",
                json={"username": name, "email": f"{name}@example.com", "password": DEFAULT_PASSWORD},
            )
            assert response.status_code == 201
        blocked = await limited.post(
            "/api/v1/auth/register",
            json={"username": "carol", "email": "carol@example.com", "password": DEFAULT_PASSWORD},
        )
        assert blocked.status_code == 429
        assert 3500 < int(blocked.headers["Retry-After"]) <= 3600


async def test_concurrent_guesses_cannot_exceed_the_limit(
    client: httpx.AsyncClient, app_factory: Callable[..., httpx.AsyncClient]
) -> None:
    await create_user(client, "alice")
    limits = {"login_max_failures": 5, "login_max_failures_per_ip": 1000}

    async with app_factory(**limits) as one, app_factory(**limits) as two:
        guesses = [
            instance.post(LOGIN, json={"login": "alice", "password": f"{WRONG} {index}"})
            for index, instance in enumerate([one, two] * 10)
        ]
        statuses = sorted(response.status_code for response in await asyncio.gather(*guesses))

    assert statuses == [401] * 5 + [429] * 15
