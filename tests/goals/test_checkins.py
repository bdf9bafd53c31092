"""Check-ins over HTTP: progress per type, completion that notifies the members, streaks across time zones,
memories as posts, history, events on the other participants' streams."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.goals.conftest import EventLog, befriend, check_in, invite_and_join, new_goal, set_timezone
from tests.helpers import create_user


async def notifications_of(client: httpx.AsyncClient, user: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_amount_goal_reaching_its_target_completes_and_notifies_the_members(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any], event_log: EventLog
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    await befriend(client, alice, bob)
    await befriend(client, alice, carol)
    goal = await new_goal(client, alice)
    await invite_and_join(client, goal, alice, bob, carol)
    first = await check_in(client, alice, goal["id"], value=60, note="long run")
    assert (first["goal"]["progress"], first["goal"]["status"], first["goal"]["me"]["progress"]) == (60, "active", 60)
    last = await check_in(client, bob, goal["id"], value=45)
    assert last["goal"]["status"] == "completed"
    assert last["goal"]["progress"] == 105
    assert last["goal"]["completed_at"] is not None
    late = await client.post(f"/api/v1/goals/{goal['id']}/checkins", json={"value": 1}, headers=carol.headers)
    assert late.status_code == 409
    for user in (alice, bob, carol):
        [completed] = await event_log.of(user, "goal_completed")
        assert (completed["goal_id"], completed["completed_by"]) == (goal["id"], bob.id)
    await run_jobs()
    for member in (alice, carol):
        [note] = [n for n in await notifications_of(client, member) if n["type"] == "goal_completed"]
        assert note["group_key"] == f"goal_completed:{goal['id']}"
        assert [actor["username"] for actor in note["actors"]] == ["bob"]
    assert [n for n in await notifications_of(client, bob) if n["type"] == "goal_completed"] == []


async def test_values_by_goal_type_and_who_may_check_in(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    await befriend(client, alice, bob)
    amount = await new_goal(client, alice, visibility="public")
    boolean = await new_goal(client, alice, title="Quit sugar", target_type="boolean", target_value=None)
    dated = await new_goal(client, alice, title="Ship", target_type="date", target_value=None, target_date="2999-01-01")
    missing = await client.post(f"/api/v1/goals/{amount['id']}/checkins", json={}, headers=alice.headers)
    assert missing.status_code == 422
    assert missing.json()["field"] == "value"
    valued = await client.post(f"/api/v1/goals/{boolean['id']}/checkins", json={"value": 2}, headers=alice.headers)
    assert valued.status_code == 422
    assert (await check_in(client, alice, boolean["id"]))["goal"]["status"] == "completed"
    dated_result = await check_in(client, alice, dated["id"], note="first draft")
    assert dated_result["goal"]["status"] == "active"
    assert dated_result["goal"]["days_left"] > 0
    stranger = await client.post(f"/api/v1/goals/{amount['id']}/checkins", json={"value": 1}, headers=carol.headers)
    assert stranger.status_code == 403  # sees the public goal, but has not joined
    invited = await client.post(
        f"/api/v1/goals/{amount['id']}/invite", json={"usernames": ["bob"], "role": "viewer"}, headers=alice.headers
    )
    assert invited.status_code == 200
    assert (await client.post(f"/api/v1/goals/{amount['id']}/join", headers=bob.headers)).json()[
        "viewer_role"
    ] == "viewer"
    as_viewer = await client.post(f"/api/v1/goals/{amount['id']}/checkins", json={"value": 1}, headers=bob.headers)
    assert as_viewer.status_code == 403
    secret = await new_goal(client, alice, visibility="friends")
    hidden = await client.post(f"/api/v1/goals/{secret['id']}/checkins", json={"value": 1}, headers=carol.headers)
    assert hidden.status_code == 404


async def test_streak_survives_a_check_in_just_before_local_midnight_and_breaks_after_a_missed_day(
    client: httpx.AsyncClient, clock: Callable[[datetime], None]
) -> None:
    alice, utc_user = await create_user(client, "alice"), await create_user(client, "utcuser")
    await set_timezone(client, alice, "America/Los_Angeles")  # UTC-7 in April
    goals = {user.username: await new_goal(client, user) for user in (alice, utc_user)}
    clock(datetime(2026, 4, 10, 6, 59, tzinfo=UTC))  # 23:59 on 9 April in Los Angeles
    for user in (alice, utc_user):
        first = await check_in(client, user, goals[user.username]["id"], value=1)
    assert first["checkin"]["local_day"] == "2026-04-10"  # the UTC user's day
    clock(datetime(2026, 4, 10, 15, 0, tzinfo=UTC))  # 08:00 on 10 April in Los Angeles; still 10 April in UTC
    results = {
        user.username: await check_in(client, user, goals[user.username]["id"], value=1) for user in (alice, utc_user)
    }
    assert results["alice"]["checkin"]["local_day"] == "2026-04-10"
    assert (results["alice"]["goal"]["me"]["current_streak"], results["alice"]["goal"]["me"]["longest_streak"]) == (
        2,
        2,
    )
    assert results["utcuser"]["goal"]["me"]["current_streak"] == 1  # both check-ins fell on one UTC day
    clock(datetime(2026, 4, 11, 23, 0, tzinfo=UTC))  # 16:00 on 11 April in Los Angeles: nothing yet today
    still = await client.get(f"/api/v1/goals/{goals['alice']['id']}/participants", headers=alice.headers)
    assert still.json()["items"][0]["current_streak"] == 2
    clock(datetime(2026, 4, 12, 16, 0, tzinfo=UTC))  # 09:00 on 12 April: 11 April was missed
    broken = await client.get(f"/api/v1/goals/{goals['alice']['id']}/participants", headers=alice.headers)
    assert (broken.json()["items"][0]["current_streak"], broken.json()["items"][0]["longest_streak"]) == (0, 2)
    again = await check_in(client, alice, goals["alice"]["id"], value=1)
    assert (again["goal"]["me"]["current_streak"], again["goal"]["me"]["longest_streak"]) == (1, 2)


async def test_shared_check_in_becomes_a_memory_post_and_history_pages(
    client: httpx.AsyncClient, event_log: EventLog
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    goal = await new_goal(client, alice, visibility="friends")
    await invite_and_join(client, goal, alice, bob)
    assert len(await event_log.of(alice, "goal_joined")) == 1
    no_share = await client.post(
        f"/api/v1/goals/{goal['id']}/checkins", json={"value": 1, "media_ids": ["x"]}, headers=alice.headers
    )
    assert no_share.status_code == 422
    shared = await check_in(client, alice, goal["id"], value=5, note="Rainy but done", share=True)
    post_id = shared["checkin"]["post_id"]
    post = await client.get(f"/api/v1/posts/{post_id}", headers=bob.headers)
    assert post.status_code == 200
    assert post.json()["visibility"] == "friends"
    assert "Run 100 km" in post.json()["content"]
    assert "Rainy but done" in post.json()["content"]
    [seen] = await event_log.of(bob, "goal_checkin")
    assert (seen["goal_id"], seen["checkin"]["note"], seen["progress"]) == (goal["id"], "Rainy but done", 5)
    await check_in(client, bob, goal["id"], value=2)
    await check_in(client, alice, goal["id"], value=3)
    page = await client.get(f"/api/v1/goals/{goal['id']}/checkins", params={"limit": 2}, headers=bob.headers)
    assert [c["value"] for c in page.json()["items"]] == [3, 2]
    rest = await client.get(
        f"/api/v1/goals/{goal['id']}/checkins", params={"limit": 2, "cursor": page.json()["next_cursor"]},
        headers=bob.headers,
    )  # fmt: skip
    assert [c["post_id"] for c in rest.json()["items"]] == [post_id]
    assert rest.json()["next_cursor"] is None
    mine = await client.get(f"/api/v1/goals/{goal['id']}/checkins", params={"user": "bob"}, headers=alice.headers)
    assert [c["user"]["username"] for c in mine.json()["items"]] == ["bob"]
    stats = (await client.get("/api/v1/users/me/stats", headers=alice.headers)).json()
    assert (stats["goals_active"], stats["goals_completed"], stats["memories_shared"], stats["longest_streak"]) == (
        1, 0, 1, 1,
    )  # fmt: skip
    assert stats["posts_count"] == 1
