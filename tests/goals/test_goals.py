"""Goals over HTTP: create and validate, visibility and 404s, edits and status transitions, archive, lists."""

from __future__ import annotations

import httpx

from tests.goals.conftest import befriend, invite_and_join, new_goal
from tests.helpers import create_user


async def test_create_and_read_a_goal_of_each_type(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    amount = await new_goal(client, alice, description="  before summer ")
    assert (amount["target_type"], amount["target_value"], amount["unit"], amount["status"]) == (
        "amount", 100, "km", "active",
    )  # fmt: skip
    assert (amount["description"], amount["viewer_role"], amount["participant_count"]) == ("before summer", "owner", 1)
    assert amount["me"]["role"] == "owner"
    assert amount["me"]["current_streak"] == 0
    dated = await new_goal(
        client, alice, title="Ship it", target_type="date", target_value=None, target_date="2999-01-01"
    )
    assert dated["days_left"] > 300_000
    assert amount["days_left"] is None
    done = await new_goal(client, alice, title="Quit sugar", target_type="boolean", target_value=None, unit="")
    fetched = await client.get(f"/api/v1/goals/{done['id']}", headers=alice.headers)
    assert fetched.status_code == 200
    assert fetched.json()["title"] == "Quit sugar"


async def test_target_fields_are_validated(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    cases = [
        ({"title": "x", "target_type": "amount"}, "target_value"),
        ({"title": "x", "target_type": "date"}, "target_date"),
        ({"title": "x", "target_type": "date", "target_date": "2000-01-01"}, "target_date"),
        ({"title": "x", "target_type": "boolean", "target_value": 3}, "target_value"),
        ({"title": "x", "target_type": "amount", "target_value": 3, "target_date": "2999-01-01"}, "target_date"),
    ]
    for body, field in cases:
        response = await client.post("/api/v1/goals", json=body, headers=alice.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field
        assert response.headers["content-type"].startswith("application/problem+json")
    for body in ({"title": "", "target_type": "boolean"}, {"title": "x", "target_type": "weight"},
                 {"title": "x", "target_type": "amount", "target_value": -1}, {"title": "x", "target_type": "boolean",
                 "colour": "red"}):  # fmt: skip
        assert (await client.post("/api/v1/goals", json=body, headers=alice.headers)).status_code == 400


async def test_strangers_get_404_on_friends_only_and_private_goals_but_see_public_ones(
    client: httpx.AsyncClient,
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    await befriend(client, alice, bob)
    friends_only = await new_goal(client, alice, visibility="friends")
    private = await new_goal(client, alice, visibility="private")
    public = await new_goal(client, alice, visibility="public")
    for goal in (friends_only, private):
        for outsider in (bob, carol):  # a friend who is not a member is still not a member
            for path in ("", "/participants", "/checkins"):
                response = await client.get(f"/api/v1/goals/{goal['id']}{path}", headers=outsider.headers)
                assert response.status_code == 404, response.text
            assert (await client.post(f"/api/v1/goals/{goal['id']}/join", headers=outsider.headers)).status_code == 404
    seen = await client.get(f"/api/v1/goals/{public['id']}", headers=carol.headers)
    assert seen.status_code == 200
    assert seen.json()["viewer_role"] is None
    assert (await client.get("/api/v1/goals/not-an-id", headers=alice.headers)).status_code == 404
    await client.post(f"/api/v1/users/{carol.username}/block", headers=alice.headers)
    assert (await client.get(f"/api/v1/goals/{public['id']}", headers=carol.headers)).status_code == 404


async def test_only_the_owner_edits_and_status_moves_forward_with_its_time(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    goal = await new_goal(client, alice)
    await invite_and_join(client, goal, alice, bob)
    url = f"/api/v1/goals/{goal['id']}"
    assert (await client.patch(url, json={"title": "Mine now"}, headers=bob.headers)).status_code == 403
    edited = await client.patch(url, json={"title": "Run 120 km", "target_value": 120}, headers=alice.headers)
    assert edited.status_code == 200
    assert (edited.json()["title"], edited.json()["target_value"]) == ("Run 120 km", 120)
    bad = await client.patch(url, json={"target_date": "2999-01-01"}, headers=alice.headers)
    assert bad.status_code == 422
    done = await client.patch(url, json={"status": "completed"}, headers=alice.headers)
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["completed_at"]
    back = await client.patch(url, json={"status": "active"}, headers=alice.headers)
    assert back.status_code == 409
    assert "cannot become active" in back.json()["detail"]
    archived = await client.patch(url, json={"status": "archived"}, headers=alice.headers)
    assert archived.json()["status"] == "archived"
    assert archived.json()["archived_at"]
    assert archived.json()["completed_at"] == done.json()["completed_at"]
    assert (await client.patch(url, json={"title": "again"}, headers=alice.headers)).status_code == 409


async def test_delete_archives_and_lists_filter_by_status(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    goals = [await new_goal(client, alice, title=f"goal {i}") for i in range(3)]
    assert (await client.delete(f"/api/v1/goals/{goals[0]['id']}", headers=bob.headers)).status_code == 404
    assert (await client.delete(f"/api/v1/goals/{goals[0]['id']}", headers=alice.headers)).status_code == 204
    assert (await client.delete(f"/api/v1/goals/{goals[0]['id']}", headers=alice.headers)).status_code == 204
    kept = await client.get(f"/api/v1/goals/{goals[0]['id']}", headers=alice.headers)
    assert kept.json()["status"] == "archived"
    archived = await client.get("/api/v1/goals", params={"status": "archived"}, headers=alice.headers)
    assert [g["id"] for g in archived.json()["items"]] == [goals[0]["id"]]
    first = await client.get("/api/v1/goals", params={"status": "active", "limit": 1}, headers=alice.headers)
    assert [g["id"] for g in first.json()["items"]] == [goals[2]["id"]]
    second = await client.get(
        "/api/v1/goals", params={"status": "active", "limit": 1, "cursor": first.json()["next_cursor"]},
        headers=alice.headers,
    )  # fmt: skip
    assert [g["id"] for g in second.json()["items"]] == [goals[1]["id"]]
    assert second.json()["next_cursor"] is None
    assert (await client.get("/api/v1/goals", params={"status": "paused"}, headers=alice.headers)).status_code == 400
    assert (await client.get("/api/v1/goals", params={"cursor": "nope"}, headers=alice.headers)).status_code == 400
    assert (await client.get("/api/v1/goals", headers=bob.headers)).json()["items"] == []


async def test_the_api_document_says_amounts_are_above_zero(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]

    for name, field in (("GoalCreate", "target_value"), ("GoalPatch", "target_value"), ("CheckinCreate", "value")):
        amount = schemas[name]["properties"][field]
        assert (amount["exclusiveMinimum"], amount["maximum"]) == (0, 1e12), (name, amount)
