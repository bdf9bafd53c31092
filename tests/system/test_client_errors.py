"""A client mistake the framework rejects before our code runs (malformed JSON, a missing body, wrong types, a missing
query parameter, a wrong method) is still a problem+json whose ``detail`` tells a person what to change: found by the
schema-driven fuzz pass, where ~2,800 such responses carried only ``"detail": "Bad Request"``."""

from __future__ import annotations

import httpx

from tests.helpers import create_user

PROBLEM = "application/problem+json"


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["detail"] not in ("Bad Request", "Method Not Allowed", "Not Found"), body
    return body


async def _post_raw(client: httpx.AsyncClient, path: str, raw: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


async def test_malformed_json_says_the_body_is_not_json(client: httpx.AsyncClient) -> None:
    alice = await create_user(client)
    for raw in (b"{", b"\x00", b'{"content": "x"} trailing'):
        body = _problem(await _post_raw(client, "/api/v1/posts", raw, alice.headers), 400)
        assert "not valid JSON" in str(body["detail"]), body
        assert body["title"] == "Bad request"


async def test_a_missing_body_is_named(client: httpx.AsyncClient) -> None:
    alice = await create_user(client)
    body = _problem(await client.post("/api/v1/posts", headers=alice.headers), 400)
    assert "request body is missing" in str(body["detail"]), body
    assert body["extra"] == [{"message": "The request body is missing.", "key": "body", "source": "body"}]


async def test_wrong_types_name_the_field_and_what_was_expected(client: httpx.AsyncClient) -> None:
    alice = await create_user(client)
    body = _problem(await client.post("/api/v1/posts", json={"content": 5}, headers=alice.headers), 400)
    assert body["detail"] == "Body field content: Expected `str`, got `int`.", body
    body = _problem(await client.post("/api/v1/posts", json={"content": "x", "nope": 1}, headers=alice.headers), 400)
    assert body["detail"] == "Body: Object contains unknown field `nope`.", body
    body = _problem(await client.get("/api/v1/feed?limit=0", headers=alice.headers), 400)
    assert body["detail"] == "Query parameter limit: Expected `int` >= 1.", body
    assert body["extra"] == [{"message": "Expected `int` >= 1", "key": "limit", "source": "query"}]


async def test_a_missing_query_parameter_is_named(client: httpx.AsyncClient) -> None:
    alice = await create_user(client)
    body = _problem(await client.get("/api/v1/search", headers=alice.headers), 400)
    assert "Missing required query parameter 'q'" in str(body["detail"]), body


async def test_unknown_route_and_wrong_method_say_what_to_do(client: httpx.AsyncClient) -> None:
    body = _problem(await client.get("/api/v1/nope"), 404)
    assert body["detail"] == "There is no route /api/v1/nope. The API's routes are listed at /schema/openapi.json."
    response = await client.put("/api/v1/posts")
    body = _problem(response, 405)
    assert body["detail"] == f"PUT is not allowed on /api/v1/posts; use {response.headers['allow']}.", body
    assert "POST" in response.headers["allow"]


async def test_a_long_id_or_name_is_not_sent_back_whole(client: httpx.AsyncClient) -> None:
    alice = await create_user(client)
    long_name, long_id = "a" * 3000, "b" * 3000

    unknown_user = _problem(await client.get(f"/api/v1/users/{long_name}", headers=alice.headers), 404)
    unknown_post = _problem(await client.get(f"/api/v1/posts/{long_id}", headers=alice.headers), 404)
    unknown_route = _problem(await client.get(f"/api/v1/nowhere/{long_id}"), 404)

    clipped_name, clipped_id = "a" * 63 + "\u2026", "b" * 63 + "\u2026"  # 64 characters, the last an ellipsis
    assert unknown_user["detail"] == f"No user is called {clipped_name!r}."
    assert unknown_post["detail"] == f"There is no post {clipped_id!r} that you can see."
    route = "/api/v1/nowhere/" + "b" * 47 + "\u2026"
    assert unknown_route["detail"] == f"There is no route {route}. The API's routes are listed at /schema/openapi.json."


async def test_openapi_documents_errors_as_problems(client: httpx.AsyncClient) -> None:
    """Every error response of an API operation is documented as problem+json (Litestar alone documents a 400 with
    another body and media type): signed-in operations list 401, operations on an id list 404, ``default`` the rest."""
    schema = (await client.get("/schema/openapi.json")).json()
    problem = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert schema["components"]["schemas"]["Problem"]["required"] == ["status", "title", "detail"]
    edit_post = schema["paths"]["/api/v1/posts/{post_id}"]["patch"]["responses"]
    assert list(edit_post) == ["200", "400", "401", "404", "default"]
    for code in ("400", "401", "404", "default"):
        assert edit_post[code]["content"] == problem, (code, edit_post[code])
    get_post = schema["paths"]["/api/v1/posts/{post_id}"]["get"]["responses"]
    assert list(get_post) == ["200", "400", "404", "default"]  # public: anyone may read a public post
    register = schema["paths"]["/api/v1/auth/register"]["post"]["responses"]
    assert list(register) == ["201", "400", "default"]  # public: no token needed, so no 401 listed
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/") and isinstance(operation, dict) and "responses" in operation:
                errors = {code: r for code, r in operation["responses"].items() if not code.startswith(("1", "2", "3"))}
                assert "default" in errors, (method, path)
                assert all(r["content"] == problem for r in errors.values()), (method, path)


async def test_openapi_security_says_which_operations_need_a_token(client: httpx.AsyncClient) -> None:
    """Signed-in operations need the bearer token; public ones take it or none (they still see a viewer who sends
    one), sign-in and refresh ignore it; /health and /ready need nothing. Before, JWTAuth's document-wide requirement
    put a token on all of them."""
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert "security" not in schema
    assert paths["/api/v1/feed"]["get"]["security"] == [{"BearerToken": []}]
    for path in ("/api/v1/explore", "/api/v1/trends/hashtags"):
        assert paths[path]["get"]["security"] == [{}, {"BearerToken": []}], path
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh"):  # credentials in the body: a token is ignored
        assert paths[path]["post"]["security"] == [{}], path
    for path in ("/health", "/ready"):
        assert "security" not in paths[path]["get"], path


async def test_openapi_documents_event_streams_as_text_event_stream(client: httpx.AsyncClient) -> None:
    """Sending an AI message answers a stream; the document said application/json (found by the fuzz pass)."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, method in (
        ("/api/v1/ai/conversations/{conversation_id}/messages", "post"),
        ("/api/v1/ai/conversations/{conversation_id}/messages/{message_id}/stream", "get"),
        ("/api/v1/events", "get"),
    ):
        assert list(paths[path][method]["responses"]["200"]["content"]) == ["text/event-stream"], (method, path)


async def test_openapi_describes_each_event_of_a_stream(client: httpx.AsyncClient) -> None:
    """Before OpenAPI 3.2's ``itemSchema``, a ``text/event-stream`` schema describes one event (``id``, ``event``,
    ``data``, ``retry``), as schemathesis reads it; ours said ``string``, so every real event failed it (found by the
    second fuzz pass). The events of a real AI reply stream fit what the document says."""
    alice = await create_user(client)
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    reply = paths["/api/v1/ai/conversations/{conversation_id}/messages"]["post"]["responses"]["200"]
    schema = reply["content"]["text/event-stream"]["schema"]
    assert schema["type"] == "object", schema
    conversation = await client.post("/api/v1/ai/conversations", json={}, headers=alice.headers)
    assert conversation.status_code == 201, conversation.text
    stream = await client.post(
        f"/api/v1/ai/conversations/{conversation.json()['id']}/messages", json={"content": "hi"}, headers=alice.headers
    )
    assert stream.status_code == 200, stream.text
    text = stream.text.replace("\r\n", "\n")
    events = [block for block in text.split("\n\n") if block.strip() and not block.startswith(":")]
    assert events, stream.text
    kinds = {"string": str, "integer": int}
    for block in events:
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        for name, value in fields.items():
            expected = schema["properties"][name]["type"]
            assert kinds[expected] is str or value.isdigit(), (name, value, expected)
        assert set(schema.get("required", [])) <= set(fields), (fields, schema)


async def test_a_nul_character_in_text_is_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    """Postgres text cannot hold U+0000: a NUL in a login, a search or a username reached the database and was a 500
    (found by the fuzz pass, in the accounts, search and social services alike)."""
    alice = await create_user(client)
    responses = [
        await client.post("/api/v1/auth/login", json={"login": "a\u0000b", "password": "x"}),
        await client.get("/api/v1/search", params={"q": "a\u0000b"}, headers=alice.headers),
        await client.post("/api/v1/friends/requests", json={"username": "a\u0000b"}, headers=alice.headers),
    ]
    for response in responses:
        body = _problem(response, 400)
        assert "NUL" in str(body["detail"]), body


async def test_a_body_that_is_not_utf8_is_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    """JSON is UTF-8: a body with other bytes in a string (Latin-1 text, an encoded lone surrogate) made msgspec raise
    UnicodeDecodeError, which the framework passed on as a 500."""
    alice = await create_user(client)
    for raw in (b'{"content": "caf\xe9"}', b'{"content": "x\xed\xa0\x80y"}', b'{"content": "\xff"}'):
        body = _problem(await _post_raw(client, "/api/v1/posts", raw, alice.headers), 400)
        assert "UTF-8" in str(body["detail"]), body
    login = await _post_raw(client, "/api/v1/auth/login", b'{"login": "\xe9", "password": "x"}', {})
    assert "UTF-8" in str(_problem(login, 400)["detail"])


async def test_a_renamed_query_parameter_is_named_as_the_client_sends_it(client: httpx.AsyncClient) -> None:
    """A query parameter whose wire name differs from the handler argument (``type`` for ``search_type``, ``user`` for
    ``username``) was named by the argument: "Query parameter search_type", a name the API has nowhere (found by the
    second fuzz pass)."""
    alice = await create_user(client)
    body = _problem(await client.get("/api/v1/search?q=x&type=zz", headers=alice.headers), 400)
    assert body["detail"] == "Query parameter type: Invalid enum value 'zz'.", body
    assert body["extra"] == [{"message": "Invalid enum value 'zz'", "key": "type", "source": "query"}]
    goal = await client.post("/api/v1/goals", json={"title": "run", "target_type": "boolean"}, headers=alice.headers)
    assert goal.status_code == 201, goal.text
    response = await client.get(f"/api/v1/goals/{goal.json()['id']}/checkins?user={'u' * 40}", headers=alice.headers)
    assert _problem(response, 400)["detail"] == "Query parameter user: Expected `str` of length <= 30.", response.text


async def test_a_lone_surrogate_escape_is_named_not_called_truncated(client: httpx.AsyncClient) -> None:
    """``"\\ud800"`` alone is not a character (it can never be UTF-8 text): msgspec rejects it, but for a lone high
    surrogate its message is "Input data was truncated", which sent a client looking for a cut-off body (found by the
    second fuzz pass). Real truncation keeps its own wording."""
    alice = await create_user(client)
    for raw in (b'{"content": "a\\ud800b"}', b'{"content": "\\ud83d"}', b'{"content": "x\\udfffy"}'):
        body = _problem(await _post_raw(client, "/api/v1/posts", raw, alice.headers), 400)
        assert "lone UTF-16 surrogate" in str(body["detail"]), (raw, body)
        assert "truncated" not in str(body["detail"]), (raw, body)
    paired = await _post_raw(client, "/api/v1/posts", b'{"content": "ok \\ud83d\\ude00"}', alice.headers)
    assert paired.status_code == 201, paired.text
    assert paired.json()["content"] == "ok \U0001f600"
    cut = _problem(await _post_raw(client, "/api/v1/posts", b'{"content": "x', alice.headers), 400)
    assert "truncated" in str(cut["detail"]), cut
