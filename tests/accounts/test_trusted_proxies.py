"""Behind a reverse proxy (SALON_TRUSTED_PROXIES) the client's own address counts: in the sessions list and in the
per-address sign-in limit. Without the setting, X-Forwarded-For is ignored, so nobody can claim another address."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from salon.settings import SettingsError, load_settings
from tests.helpers import DEFAULT_PASSWORD, create_user

LOGIN = "/api/v1/auth/login"
PROXY = "10.0.0.5"  # the address every request arrives from, behind the proxy


async def _signed_in_from(http: httpx.AsyncClient, forwarded_for: str) -> str:
    """Sign in as alice through ``http`` with that X-Forwarded-For; the address the new session records."""
    response = await http.post(
        LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD}, headers={"X-Forwarded-For": forwarded_for}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    sessions = await http.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {token}"})
    [current] = [item for item in sessions.json()["items"] if item["current"]]
    return str(current["ip_address"])


async def test_the_forwarded_address_counts_only_from_a_trusted_proxy(
    client: httpx.AsyncClient, app_factory: Callable[..., httpx.AsyncClient]
) -> None:
    await create_user(client, "alice")
    async with app_factory(address=PROXY) as direct:
        assert await _signed_in_from(direct, "198.51.100.9") == PROXY  # not trusted: the header is ignored
    async with app_factory(address=PROXY, trusted_proxies="10.0.0.0/8") as proxied:
        assert await _signed_in_from(proxied, "198.51.100.9") == "198.51.100.9"
        # A chain: the nearest address that is not a trusted proxy (what the client prepends is not believed).
        assert await _signed_in_from(proxied, "192.0.2.1, 198.51.100.9, 10.0.0.7") == "198.51.100.9"


async def test_one_clients_failures_do_not_lock_out_everyone_behind_the_proxy(
    client: httpx.AsyncClient, app_factory: Callable[..., httpx.AsyncClient]
) -> None:
    await create_user(client, "alice")
    limits = {"login_max_failures": 100, "login_max_failures_per_ip": 3}
    async with app_factory(address=PROXY, trusted_proxies=PROXY, **limits) as proxied:
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        for index in range(3):
            guess = await proxied.post(LOGIN, json={"login": f"x{index}", "password": "wrong"}, headers=attacker)
            assert guess.status_code == 401
        blocked = await proxied.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD}, headers=attacker)
        assert blocked.status_code == 429
        assert await _signed_in_from(proxied, "198.51.100.9") == "198.51.100.9"  # another client still gets in


@pytest.mark.parametrize("value", ["10.0.0.0/8, 192.168.1.1", "*", "::1", ""])
def test_trusted_proxies_accepts_addresses_networks_and_star(value: str) -> None:
    assert load_settings({"SALON_TRUSTED_PROXIES": value}).trusted_proxies == value


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.0/33", "10.0.0.5, nonsense"])
def test_trusted_proxies_refuses_anything_else(value: str) -> None:
    with pytest.raises(SettingsError, match="SALON_TRUSTED_PROXIES"):
        load_settings({"SALON_TRUSTED_PROXIES": value})
