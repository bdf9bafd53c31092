"""salon serves the web client: the page at /, its modules and styles under /web/, revalidated on every load."""

from __future__ import annotations

import re

import httpx


async def test_root_serves_the_single_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"  # once: Litestar adds the charset itself
    assert response.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/web/js/app.js">' in response.text


async def test_every_module_the_page_imports_is_served_as_javascript(client: httpx.AsyncClient) -> None:
    pending, seen = ["/web/js/app.js"], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"], path
        base = path.rsplit("/", 1)[0]
        for relative in re.findall(r'from "(\.{1,2}/[^"]+)"', response.text):
            parts = (base + "/" + relative).split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part != ".":
                    resolved.append(part)
            pending.append("/".join(resolved))
    assert "/web/js/views/ai.js" in seen


async def test_every_stylesheet_the_page_links_is_served_and_always_revalidated(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert stylesheets == ["/web/css/app.css", "/web/css/views.css"]
    for path in stylesheets:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/css"), path
        assert response.headers["cache-control"] == "no-cache", path


async def test_a_missing_asset_is_a_problem_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/web/js/nope.js")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_client_is_not_in_the_api_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/" not in paths
    assert not any(path.startswith("/web") for path in paths)
