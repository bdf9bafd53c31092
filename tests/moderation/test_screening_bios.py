"""Screening of profile bios: a bio change is screened in the worker; a held bio is empty for others and shown to its
owner with the notice; a hold belongs to the bio's text (its version)."""

from __future__ import annotations

from typing import Any

import httpx

from salon.ai.standin import Answer, GeminiStandIn
from salon.moderation.jobs import screen_bio
from tests.helpers import TestUser, create_user
from tests.moderation.conftest import SAFE, UNSAFE, events_of, make_moderator

PROFILE = "/api/v1/users"


async def set_bio(client: httpx.AsyncClient, user: TestUser, bio: str) -> dict[str, Any]:
    response = await client.patch(f"{PROFILE}/me", json={"bio": bio}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def profile(client: httpx.AsyncClient, username: str, viewer: TestUser | None = None) -> dict[str, Any]:
    response = await client.get(f"{PROFILE}/{username}", headers=viewer.headers if viewer else None)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def queue(client: httpx.AsyncClient, moderator: TestUser) -> list[dict[str, Any]]:
    return (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]  # type: ignore[no-any-return]


async def test_a_flagged_bio_is_hidden_from_others_queued_and_removed_with_the_account_kept(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(text=UNSAFE))

    await set_bio(client, alice, "I hate everyone here")
    assert (await profile(client, "alice", bob))["bio"] == "I hate everyone here"  # screening never blocks the PATCH
    await run_jobs()  # user.bio_changed -> moderation's subscriber -> screen_bio -> the model

    assert "profile bio" in standin.requests[-1].body["systemInstruction"]["parts"][0]["text"]
    for seen_by_others in (await profile(client, "alice", bob), await profile(client, "alice")):
        assert (seen_by_others["bio"], seen_by_others["moderation_notice"]) == ("", None)
    own = await profile(client, "alice", alice)
    assert own["bio"] == "I hate everyone here"
    assert "moderator reviews" in own["moderation_notice"]
    me = (await client.get(f"{PROFILE}/me", headers=alice.headers)).json()
    assert (me["bio"], me["moderation_notice"]) == ("I hate everyone here", own["moderation_notice"])

    [entry] = await queue(client, moderator)
    assert (entry["subject_type"], entry["author_id"], entry["hidden"], entry["content"]) == (
        "bio", alice.id, True, "I hate everyone here"
    )  # fmt: skip
    [item] = entry["items"]
    assert (item["source"], item["category"]) == ("ai", "harassment")

    decided = await client.post(
        f"/api/v1/moderation/items/{item['id']}/decision",
        json={"action": "remove", "note": "No hate in bios."},
        headers=moderator.headers,
    )
    assert decided.status_code == 201, decided.text
    me = (await client.get(f"{PROFILE}/me", headers=alice.headers)).json()
    assert (me["bio"], me["moderation_notice"]) == ("", None)
    assert (await profile(client, "alice", bob))["username"] == "alice"  # the bio went, not the account
    audit = (await client.get("/api/v1/moderation/audit", headers=moderator.headers)).json()["items"]
    assert [(e["action"], e["subject_type"], e["subject_id"], e["author_id"]) for e in audit] == [
        ("remove", "bio", entry["subject_id"], alice.id)
    ]
    [notice] = await events_of(alice, "moderation.decision")
    assert (notice["subject_type"], notice["action"], notice["note"]) == ("bio", "remove", "No hate in bios.")


async def test_a_new_bio_after_a_hold_is_screened_again_and_an_unchanged_one_is_not(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(text=UNSAFE), Answer(text=SAFE), Answer(text=UNSAFE))
    await set_bio(client, alice, "nasty words")
    await run_jobs()
    assert (await profile(client, "alice", bob))["bio"] == ""

    await set_bio(client, alice, "I like plants")
    await run_jobs()
    await set_bio(client, alice, "I like plants")  # unchanged: no new version, not screened again
    await run_jobs()

    assert len(standin.requests) == 2
    shown = await profile(client, "alice", bob)
    assert (shown["bio"], shown["moderation_notice"]) == ("I like plants", None)
    assert (await profile(client, "alice", alice))["moderation_notice"] is None
    [stale] = await queue(client, moderator)  # the flag about the old text stays for the moderator...
    assert (stale["subject_type"], stale["content"]) == ("bio", None)  # ...whose text is gone
    removed = await client.post(
        f"/api/v1/moderation/items/{stale['items'][0]['id']}/decision",
        json={"action": "remove"},
        headers=moderator.headers,
    )
    assert removed.status_code == 201
    assert (await profile(client, "alice", bob))["bio"] == "I like plants"  # removing an old version keeps the new one

    await set_bio(client, alice, "nasty words")  # the same text as the removed one is a new version: screened anew
    await run_jobs()
    assert (await profile(client, "alice", bob))["bio"] == ""
    assert [entry["content"] for entry in await queue(client, moderator)] == ["nasty words"]


async def test_approving_a_held_bio_shows_it_again(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(text=UNSAFE))
    me = await set_bio(client, alice, "sharp but fair")
    assert me["moderation_notice"] is None
    version = (await _bio_version(alice))[0]
    await screen_bio({}, user_id=alice.id, bio_version=version)
    [entry] = await queue(client, moderator)

    decided = await client.post(
        f"/api/v1/moderation/items/{entry['items'][0]['id']}/decision",
        json={"action": "approve"},
        headers=moderator.headers,
    )

    assert decided.status_code == 201
    assert (await profile(client, "alice", bob))["bio"] == "sharp but fair"


async def test_a_provider_failure_on_a_bio_sends_it_to_review_without_hiding_it(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(status=500))

    await set_bio(client, alice, "an ordinary bio")
    await run_jobs()

    [entry] = await queue(client, moderator)
    assert (entry["subject_type"], entry["hidden"], entry["content"]) == ("bio", False, "an ordinary bio")
    assert entry["items"][0]["source"] == "provider_failure"
    assert (await profile(client, "alice", bob))["bio"] == "an ordinary bio"


async def test_clearing_a_bio_is_not_screened(client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any) -> None:
    alice = await create_user(client, "alice")
    moderator = await make_moderator(client)

    await set_bio(client, alice, "")
    await client.patch(f"{PROFILE}/me", json={"display_name": "Alice"}, headers=alice.headers)
    await run_jobs()

    assert not standin.requests
    assert await queue(client, moderator) == []


async def _bio_version(user: TestUser) -> list[str]:
    from salon.accounts.tables import User

    rows = await User.select(User.bio_version).where(User.id == user.id)
    return [str(row["bio_version"]) for row in rows]
