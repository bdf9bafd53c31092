"""The AI coach (its prompt, captured by the loopback Gemini stand-in) and the nudge job (idle participants only,
muted goals never, coach messages for those who opted in)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from salon.ai.standin import GeminiStandIn
from salon.goals import days
from salon.goals.jobs import nudge_idle_participants
from tests.ai.conftest import send
from tests.goals.conftest import befriend, check_in, invite_and_join, new_goal
from tests.helpers import create_user


async def test_coach_request_names_the_goal_and_the_latest_check_in(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    goal = await new_goal(client, alice, title="Read 12 books", target_value=12, unit="books")
    other = await new_goal(client, alice, title="Learn the cello", target_type="boolean", target_value=None, unit="")
    await check_in(client, alice, goal["id"], value=1, note="Finished Middlemarch at last")
    await check_in(client, alice, goal["id"], value=1, note="Halfway through Dune, my knee hurts from sitting")
    opened = await client.post(f"/api/v1/goals/{goal['id']}/coach", headers=alice.headers)
    assert opened.status_code == 200
    conversation = opened.json()
    assert conversation["kind"] == "coach"
    again = await client.post(f"/api/v1/goals/{goal['id']}/coach", headers=alice.headers)
    assert again.json()["id"] == conversation["id"]
    frames = await send(client, alice, conversation["id"], "How should I pace the rest of the year?")
    assert frames[-1].event == "ai_complete"
    system = standin.requests[-1].system_instruction
    assert "Read 12 books" in system
    assert "Halfway through Dune, my knee hurts from sitting" in system
    assert "2 of 12 books" in system
    assert system.index("Read 12 books") < system.index("Learn the cello")  # the conversation's goal first
    assert "Finished Middlemarch" in system  # an earlier check-in, within the bound
    assert other["id"] not in system
    assert (await client.post(f"/api/v1/goals/{goal['id']}/coach", headers=bob.headers)).status_code == 404
    public = await new_goal(client, alice, visibility="public")
    assert (await client.post(f"/api/v1/goals/{public['id']}/coach", headers=bob.headers)).status_code == 403


async def test_coach_context_is_bounded(client: httpx.AsyncClient, standin: GeminiStandIn, settings: Any) -> None:
    alice = await create_user(client, "alice")
    for index in range(8):
        goal = await new_goal(client, alice, title=f"Goal number {index} " + "x" * 150, description="d" * 1500)
        await check_in(client, alice, goal["id"], value=1, note="n" * 500)
    opened = (await client.post(f"/api/v1/goals/{goal['id']}/coach", headers=alice.headers)).json()
    await send(client, alice, opened["id"], "hello")
    context = standin.requests[-1].system_instruction
    assert f"Goal number {index}" in context
    assert len(context) <= settings.goal_coach_context_max_chars + 1000  # the base coach prompt comes first


async def nudges_of(client: httpx.AsyncClient, user: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", params={"types": "goal_nudge"}, headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_nudge_job_notifies_only_the_idle_participant_and_respects_a_muted_goal(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any], clock: Callable[[datetime], None], standin: GeminiStandIn
) -> None:
    alice, bob, dave, erin = [await create_user(client, name) for name in ("alice", "bob", "dave", "erin")]
    await befriend(client, alice, bob)
    goal = await new_goal(client, alice)
    await invite_and_join(client, goal, alice, bob)
    muted = await new_goal(client, dave, title="Quiet goal")
    response = await client.patch(f"/api/v1/goals/{muted['id']}/nudges", json={"muted": True}, headers=dave.headers)
    assert response.json() == {"muted": True, "coach": False}
    coached = await new_goal(client, erin, title="Meditate 30 hours", target_value=30, unit="hours")
    await check_in(client, erin, coached["id"], value=2, note="Sleepy session")
    response = await client.patch(f"/api/v1/goals/{coached['id']}/nudges", json={"coach": True}, headers=erin.headers)
    assert response.json() == {"muted": False, "coach": True}
    start = days.now()
    clock(start + timedelta(days=2))
    await check_in(client, bob, goal["id"], value=3)
    await run_jobs()
    requests_before = len(standin.requests)
    clock(start + timedelta(days=3, hours=12))
    await nudge_idle_participants({})
    await run_jobs()
    [nudge] = await nudges_of(client, alice)
    assert nudge["group_key"] == f"goal_nudge:{goal['id']}"
    assert [actor["username"] for actor in nudge["actors"]] == ["alice"]
    assert await nudges_of(client, bob) == []  # checked in a day and a half ago
    assert await nudges_of(client, dave) == []  # muted
    assert len(await nudges_of(client, erin)) == 1
    assert len(standin.requests) == requests_before + 1  # one coach message: erin opted in, alice did not
    assert "Meditate 30 hours" in standin.requests[-1].system_instruction
    coach = (await client.post(f"/api/v1/goals/{coached['id']}/coach", headers=erin.headers)).json()
    messages = (await client.get(f"/api/v1/ai/conversations/{coach['id']}/messages", headers=erin.headers)).json()
    assert [m["role"] for m in messages["items"]] == ["model"]
    assert messages["items"][0]["content"].startswith("You said: The user has not checked in")
    usage = (await client.get("/api/v1/ai/usage", headers=erin.headers)).json()
    assert usage["total_tokens"] > 0
    await nudge_idle_participants({})  # the same idle spell is not nudged twice
    await run_jobs()
    assert len(await nudges_of(client, alice)) == 1
    assert len(standin.requests) == requests_before + 1
