"""The viewer's own lists of blocked and muted accounts: ``GET /users/me/blocks`` and ``GET /users/me/mutes``."""

from __future__ import annotations

import httpx
import pytest

LISTS = [("block", "/api/v1/users/me/blocks", "blocked_at"), ("mute", "/api/v1/users/me/mutes", "muted_at")]


def names(body: dict) -> list[str]:
    return [item["user"]["username"] for item in body["items"]]


@pytest.mark.parametrize(("action", "path", "when"), LISTS)
async def test_empty_then_newest_first_with_user_summaries(
    client: httpx.AsyncClient, make_users, action: str, path: str, when: str
) -> None:
    alice, _bob, _carol, _dave = await make_users("alice", "bob", "carol", "dave")

    empty = await client.get(path, headers=alice.headers)
    for other in ("carol", "bob", "dave"):
        assert (await client.post(f"/api/v1/users/{other}/{action}", headers=alice.headers)).status_code == 200
    listed = await client.get(path, headers=alice.headers)

    assert empty.status_code == 200
    assert empty.json() == {"items": [], "next_cursor": None}
    body = listed.json()
    assert names(body) == ["dave", "bob", "carol"]
    assert body["next_cursor"] is None
    first = body["items"][0]
    assert set(first) == {"user", when}
    assert set(first["user"]) == {"id", "username", "display_name", "avatar_media_id"}
    assert [item[when] for item in body["items"]] == sorted((item[when] for item in body["items"]), reverse=True)


@pytest.mark.parametrize(("action", "path", "when"), LISTS)
async def test_pages_across_a_cursor_without_duplicates_or_skips(
    client: httpx.AsyncClient, make_users, action: str, path: str, when: str
) -> None:
    users = await make_users("alice", "usr1", "usr2", "usr3", "usr4", "usr5", "late")
    alice = users[0]
    for other in users[1:6]:
        await client.post(f"/api/v1/users/{other.username}/{action}", headers=alice.headers)

    first = (await client.get(path, params={"limit": 2}, headers=alice.headers)).json()
    second = (await client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=alice.headers)).json()
    # One more arrives between pages: it is newer, so it never shows up on a later page.
    await client.post(f"/api/v1/users/late/{action}", headers=alice.headers)
    third = (await client.get(path, params={"limit": 2, "cursor": second["next_cursor"]}, headers=alice.headers)).json()

    assert names(first) == ["usr5", "usr4"]
    assert names(second) == ["usr3", "usr2"]
    assert names(third) == ["usr1"]
    assert first["next_cursor"]
    assert second["next_cursor"]
    assert third["next_cursor"] is None


@pytest.mark.parametrize(("action", "path", "when"), LISTS)
async def test_undoing_removes_the_entry(
    client: httpx.AsyncClient, make_users, action: str, path: str, when: str
) -> None:
    alice, _bob, _carol = await make_users("alice", "bob", "carol")
    await client.post(f"/api/v1/users/bob/{action}", headers=alice.headers)
    await client.post(f"/api/v1/users/carol/{action}", headers=alice.headers)

    undone = await client.delete(f"/api/v1/users/bob/{action}", headers=alice.headers)

    assert undone.status_code == 200
    assert names((await client.get(path, headers=alice.headers)).json()) == ["carol"]


@pytest.mark.parametrize(("action", "path", "when"), LISTS)
async def test_private_to_the_viewer_and_signed_in_only(
    client: httpx.AsyncClient, make_users, action: str, path: str, when: str
) -> None:
    alice, bob, _carol = await make_users("alice", "bob", "carol")
    await client.post(f"/api/v1/users/carol/{action}", headers=alice.headers)

    as_bob = await client.get(path, headers=bob.headers)
    anonymous = await client.get(path)

    assert names((await client.get(path, headers=alice.headers)).json()) == ["carol"]
    assert as_bob.json() == {"items": [], "next_cursor": None}
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", [path for _, path, _ in LISTS])
async def test_a_bad_cursor_is_a_400_problem(client: httpx.AsyncClient, make_users, path: str) -> None:
    (alice,) = await make_users("alice")

    response = await client.get(path, params={"cursor": "not-a-cursor"}, headers=alice.headers)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Invalid cursor"


async def test_me_paths_do_not_shadow_user_routes(client: httpx.AsyncClient, make_users) -> None:
    """``me`` is not a possible username (3+ characters), and the per-user routes still resolve next to it."""
    alice, _bob = await make_users("alice", "bob")
    await client.post("/api/v1/users/bob/block", headers=alice.headers)

    own = await client.get("/api/v1/users/me", headers=alice.headers)
    relationship = await client.get("/api/v1/users/bob/relationship", headers=alice.headers)
    not_a_route = await client.get("/api/v1/users/bob/blocks", headers=alice.headers)

    assert own.json()["username"] == "alice"
    assert relationship.json()["blocking"] is True
    assert not_a_route.status_code in (404, 405)


async def test_someone_who_blocked_you_leaves_your_mute_list(client: httpx.AsyncClient, make_users) -> None:
    """For the viewer, a user who blocked them does not exist (as on their profile), so the list does not show them;
    blocking does not remove the mute, and it is back in the list once they unblock."""
    alice, bob, _carol = await make_users("alice", "bob", "carol")
    await client.post("/api/v1/users/bob/mute", headers=alice.headers)
    await client.post("/api/v1/users/carol/mute", headers=alice.headers)

    await client.post("/api/v1/users/alice/block", headers=bob.headers)
    while_blocked = (await client.get("/api/v1/users/me/mutes", headers=alice.headers)).json()
    await client.delete("/api/v1/users/alice/block", headers=bob.headers)
    after = (await client.get("/api/v1/users/me/mutes", headers=alice.headers)).json()

    assert names(while_blocked) == ["carol"]
    assert names(after) == ["carol", "bob"]


async def test_lists_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    blocks = schema["paths"]["/api/v1/users/me/blocks"]["get"]
    mutes = schema["paths"]["/api/v1/users/me/mutes"]["get"]

    assert blocks["operationId"] == "listBlockedUsers"
    assert mutes["operationId"] == "listMutedUsers"
    assert {p["name"] for p in blocks["parameters"]} >= {"cursor", "limit"}


@pytest.mark.parametrize(
    ("table", "owner", "index"),
    [("blocks", "blocker", "blocks_blocker_id_desc"), ("mutes", "muter", "mutes_muter_id_desc")],
)
async def test_an_index_gives_each_list_in_order(make_users, table: str, owner: str, index: str) -> None:
    """The list query is a keyset page of one owner's rows by ``id DESC``: an ``(owner, id DESC)`` index answers it
    without a sort. The planner is told to avoid the scans and sorts it would pick for a few test rows, so a plan
    without a sort exists only if such an index does."""
    from salon.accounts.tables import User

    (alice,) = await make_users("alice")
    async with User._meta.db.transaction():
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await User.raw(f"SET LOCAL {setting} = off")
        plan = await User.raw(
            f"EXPLAIN SELECT id, created_at FROM {table} WHERE {owner} = {{}} AND id < {{}} ORDER BY id DESC LIMIT 21",
            alice.id,
            alice.id,
        )
    text = "\n".join(row["QUERY PLAN"] for row in plan)

    assert index in text
    assert "Sort" not in text
