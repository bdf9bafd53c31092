"""Participants over HTTP: invitations only to friends (notified), joining, leaving, the participant list, and the
time zone setting that streaks use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.goals.conftest import EventLog, befriend, new_goal
from tests.helpers import create_user


async def test_invites_go_only_to_friends_and_notify_them(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    await befriend(client, alice, bob)
    goal = await new_goal(client, alice)
    url = f"/api/v1/goals/{goal['id']}"
    strangers = await client.post(f"{url}/invite", json={"usernames": ["bob", "carol"]}, headers=alice.headers)
    assert strangers.status_code == 422
    assert strangers.json()["usernames"] == ["carol"]
    unknown = await client.post(f"{url}/invite", json={"usernames": ["nobody"]}, headers=alice.headers)
    assert unknown.status_code == 422
    assert (await client.post(f"{url}/invite", json={"usernames": ["bob"]}, headers=carol.headers)).status_code == 404
    invited = await client.post(f"{url}/invite", json={"usernames": ["bob"]}, headers=alice.headers)
    assert [user["username"] for user in invited.json()["invited"]] == ["bob"]
    await client.post(f"{url}/invite", json={"usernames": ["bob"]}, headers=alice.headers)  # again: one notification
    seen = await client.get(url, headers=bob.headers)
    assert seen.status_code == 200
    assert (seen.json()["invited"], seen.json()["viewer_role"]) == (True, None)
    await run_jobs()
    notes = (await client.get("/api/v1/notifications", params={"types": "goal_invite"}, headers=bob.headers)).json()[
        "items"
    ]
    assert [(n["type"], n["group_key"], n["actors"][0]["username"]) for n in notes] == [
        ("goal_invite", f"goal_invite:{goal['id']}", "alice")
    ]
    private = await new_goal(client, alice, visibility="private")
    closed = await client.post(
        f"/api/v1/goals/{private['id']}/invite", json={"usernames": ["bob"]}, headers=alice.headers
    )
    assert closed.status_code == 409


async def test_join_leave_and_participants(client: httpx.AsyncClient, event_log: EventLog) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    public = await new_goal(client, alice, visibility="public")
    url = f"/api/v1/goals/{public['id']}"
    joined = await client.post(f"{url}/join", headers=carol.headers)
    assert joined.status_code == 200
    assert (joined.json()["viewer_role"], joined.json()["participant_count"]) == ("member", 2)
    assert (await client.post(f"{url}/join", headers=carol.headers)).json()["participant_count"] == 2
    [event] = await event_log.of(alice, "goal_joined")
    assert event["participant"]["user"]["username"] == "carol"
    await client.post(f"{url}/join", headers=bob.headers)
    page = await client.get(f"{url}/participants", params={"limit": 2}, headers=carol.headers)
    assert [(p["user"]["username"], p["role"]) for p in page.json()["items"]] == [
        ("alice", "owner"),
        ("carol", "member"),
    ]
    rest = await client.get(f"{url}/participants", params={"cursor": page.json()["next_cursor"]}, headers=carol.headers)
    assert [p["user"]["username"] for p in rest.json()["items"]] == ["bob"]
    assert (await client.post(f"{url}/leave", headers=alice.headers)).status_code == 409
    assert (await client.post(f"{url}/leave", headers=carol.headers)).status_code == 204
    assert [e["user_id"] for e in await event_log.of(alice, "goal_left")] == [carol.id]
    assert (await client.post(f"{url}/leave", headers=carol.headers)).status_code == 409
    listed = await client.get("/api/v1/goals", headers=carol.headers)
    assert listed.json()["items"] == []
    assert (await client.get(url, headers=alice.headers)).json()["participant_count"] == 2
    await client.delete(url, headers=alice.headers)
    assert (await client.post(f"{url}/join", headers=carol.headers)).status_code == 409


async def test_time_zone_is_a_validated_profile_setting(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bad = await client.patch("/api/v1/users/me", json={"timezone": "Mars/Olympus_Mons"}, headers=alice.headers)
    assert bad.status_code == 422
    assert bad.json()["field"] == "timezone"
    good = await client.patch("/api/v1/users/me", json={"timezone": "Asia/Kolkata"}, headers=alice.headers)
    assert good.status_code == 200
    assert good.json()["timezone"] == "Asia/Kolkata"
