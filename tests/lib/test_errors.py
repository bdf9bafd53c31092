"""The last-resort handler: an unexpected failure is a 500 problem+json with the request id, leaking nothing."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from salon.lib.errors import unexpected_error_handler


@get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


async def test_an_unexpected_failure_is_a_500_problem_without_internals() -> None:
    app = Litestar([boom], exception_handlers={Exception: unexpected_error_handler})
    async with AsyncTestClient(app) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Internal server error"
    assert "Nothing you sent was wrong" in body["detail"]
    assert "secret internals" not in response.text
