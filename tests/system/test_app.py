"""The foundation's HTTP behaviour: health, readiness, problem+json errors, request ids, metrics, docs."""

from __future__ import annotations

import re

import httpx


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_stores_are_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["postgres"] == "ok"
    assert body["valkey"] == "ok"


async def test_unknown_path_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["title"]


async def test_wrong_method_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 405


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    unsafe = await client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert unsafe.headers["x-request-id"] != "bad id\nwith newline"


async def test_request_id_appears_on_errors(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope", headers={"X-Request-ID": "trace-me"})
    assert response.headers["x-request-id"] == "trace-me"


async def test_metrics_are_grouped_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    await client.get("/api/v1/nope")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert re.search(r'salon_requests_total\{[^}]*path="/health"', text), text[:2000]


async def test_openapi_schema_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "salon API"
    assert "/health" in schema["paths"]


async def test_docs_render_without_network(client: httpx.AsyncClient) -> None:
    """/docs leads to a Swagger UI page whose every asset is served by salon itself."""
    redirect = await client.get("/docs")
    assert redirect.status_code in (301, 302, 307, 308)
    page = await client.get(redirect.headers["location"])
    assert page.status_code == 200
    html = page.text
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)
    assert assets, html
    for asset in assets:
        assert not asset.startswith(("http://", "https://", "//")), f"external asset {asset}"
        fetched = await client.get(asset)
        assert fetched.status_code == 200, asset
    assert "SwaggerUIBundle" in html


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b'{"username": "al', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json={"username": 42, "email": "a@b.c", "password": "x"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "username" in response.text


def test_no_handler_resolves_its_dependencies_in_a_task_group(app: object) -> None:
    """Litestar runs a batch of two or more dependencies (same depth) in an anyio task group: ~40 us per request
    (litestar-org/litestar#4563). salon's three (``settings``, then ``viewer`` or ``maybe_viewer``) are chained by
    ``salon.lib.auth``, so every batch of every API handler holds one dependency. A new independent dependency that
    breaks this fails here: chain it too, or accept the cost knowingly."""
    from litestar.routes import HTTPRoute

    crowded = [
        f"{method} {route.path}: {[sorted(d.key for d in batch) for batch in model.dependency_batches]}"
        for route in app.routes  # type: ignore[attr-defined]
        if isinstance(route, HTTPRoute)
        for method, (_, model) in route.route_handler_map.items()
        if any(len(batch) > 1 for batch in model.dependency_batches)
    ]
    checked = [route for route in app.routes if isinstance(route, HTTPRoute) and "/api/v1/feed" in route.path]  # type: ignore[attr-defined]
    assert checked  # the routes are there to check
    assert crowded == []
