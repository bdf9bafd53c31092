"""Shared by the standalone delivery benchmarks: a signed-in benchmark user (registered on first use)."""

from __future__ import annotations

import sys

import httpx


async def bearer_headers(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Register ``username`` (or sign in when it exists from an earlier run) and return its Authorization header."""
    body = {"username": username, "email": f"{username}@bench.example", "password": password}
    response = await http.post("/api/v1/auth/register", json=body)
    if response.status_code == 409:
        response = await http.post("/api/v1/auth/login", json={"login": username, "password": password})
    if response.status_code not in (200, 201):
        sys.exit(f"cannot sign in {username}: {response.status_code} {response.text}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
