"""AI screening and local checks, the moderator queue, decisions, the audit log and who may use them."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from salon.ai.standin import Answer, GeminiStandIn
from salon.moderation import screening
from salon.moderation.tables import ModerationDecision
from tests.helpers import create_user
from tests.moderation.conftest import UNSAFE, events_of, make_moderator, post, screened_post


async def test_a_flagged_post_is_hidden_queued_removed_with_the_author_notified_and_audited(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(text=UNSAFE))

    flagged = await post(client, alice, "you are all idiots")
    assert (await client.get(f"/api/v1/posts/{flagged['id']}", headers=bob.headers)).status_code == 200
    await run_jobs()  # post.created -> moderation's subscriber -> the screen_post job -> the model

    request = standin.requests[-1]
    assert request.method == "generateContent"
    assert request.body["generationConfig"]["responseMimeType"] == "application/json"
    assert "is_safe" in request.body["generationConfig"]["responseSchema"]["properties"]
    assert (await client.get(f"/api/v1/posts/{flagged['id']}", headers=bob.headers)).status_code == 404
    listed = await client.get("/api/v1/users/alice/posts", headers=bob.headers)
    assert listed.json()["items"] == []
    own = await client.get(f"/api/v1/posts/{flagged['id']}", headers=alice.headers)
    assert own.status_code == 200
    assert "moderator reviews" in own.json()["moderation_notice"]

    queue = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]
    assert [(entry["subject_type"], entry["subject_id"], entry["hidden"]) for entry in queue] == [
        ("post", flagged["id"], True)
    ]
    [item] = queue[0]["items"]
    assert (item["source"], item["category"], item["confidence"]) == ("ai", "harassment", 0.95)
    assert queue[0]["content"] == "you are all idiots"

    decided = await client.post(
        f"/api/v1/moderation/items/{item['id']}/decision",
        json={"action": "remove", "note": "Insults are not allowed."},
        headers=moderator.headers,
    )
    assert decided.status_code == 201, decided.text
    assert (await client.get(f"/api/v1/posts/{flagged['id']}", headers=alice.headers)).status_code == 404
    assert (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"] == []
    [notice] = await events_of(alice, "moderation.decision")
    assert (notice["subject_id"], notice["action"], notice["note"]) == (
        flagged["id"], "remove", "Insults are not allowed."
    )  # fmt: skip
    audit = (await client.get("/api/v1/moderation/audit", headers=moderator.headers)).json()["items"]
    assert [(entry["action"], entry["subject_id"], entry["moderator_id"], entry["author_id"]) for entry in audit] == [
        ("remove", flagged["id"], moderator.id, alice.id)
    ]
    assert audit[0]["item_ids"] == [item["id"]]


async def test_a_provider_failure_sends_the_post_to_human_review(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(status=500))

    created = await screened_post(client, alice, "an ordinary post")

    queue = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]
    assert [entry["subject_id"] for entry in queue] == [created["id"]]
    assert queue[0]["items"][0]["source"] == "provider_failure"
    assert "Screening failed" in queue[0]["items"][0]["reason"]
    assert queue[0]["hidden"] is False  # not hidden on a guess, but nobody let it pass unseen
    assert (await client.get(f"/api/v1/posts/{created['id']}", headers=bob.headers)).status_code == 200


async def test_an_answer_off_the_schema_is_a_failure_too(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    moderator = await make_moderator(client)
    standin.script(Answer(text="I think it is fine!"))

    await screened_post(client, alice, "hello")

    queue = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]
    assert queue[0]["items"][0]["source"] == "provider_failure"


async def test_safe_posts_and_low_confidence_flags(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    unsure = '{"is_safe": false, "category": "spam", "confidence": 0.4, "reason": "Maybe an ad."}'

    safe = await screened_post(client, alice, "good morning")
    standin.script(Answer(text=unsure))
    doubtful = await screened_post(client, alice, "buy my thing")

    queue = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]
    assert [(entry["subject_id"], entry["hidden"]) for entry in queue] == [(doubtful["id"], False)]
    for visible in (safe, doubtful):
        assert (await client.get(f"/api/v1/posts/{visible['id']}", headers=bob.headers)).status_code == 200


async def test_local_checks_catch_link_spam_and_repeats_without_asking_the_model(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    links = " ".join(f"https://spam.example/{i}" for i in range(4))

    spam = await screened_post(client, alice, f"deals {links}")
    repeats = [await screened_post(client, alice, "follow me for follow back") for _ in range(3)]

    queue = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]
    assert [entry["subject_id"] for entry in queue] == [spam["id"], repeats[2]["id"]]
    assert {entry["items"][0]["source"] for entry in queue} == {"local"}
    assert "4 links" in queue[0]["items"][0]["reason"]
    assert "3 times" in queue[1]["items"][0]["reason"]
    assert (await client.get(f"/api/v1/posts/{spam['id']}", headers=bob.headers)).status_code == 404
    assert len(standin.requests) == 2  # only the first two repeats reached the model


def test_the_word_list_matches_whole_words_case_insensitively(settings: Any) -> None:
    configured = msgspec.structs.replace(settings, moderation_word_list="scam, free money")

    flag = screening.local_flag("Get FREE MONEY now", configured, repeats=1)

    assert flag is not None
    assert "free money" in flag.reason
    assert screening.local_flag("a scammer's tale", configured, repeats=1) is None
    assert screening.local_flag("this is a scam.", configured, repeats=1) is not None


async def test_approving_restores_a_hidden_post(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    standin.script(Answer(text=UNSAFE))
    flagged = await screened_post(client, alice, "a sharp but fair critique")
    item = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"][0]["items"][0]

    decided = await client.post(
        f"/api/v1/moderation/items/{item['id']}/decision", json={"action": "approve"}, headers=moderator.headers
    )
    again = await client.post(
        f"/api/v1/moderation/items/{item['id']}/decision", json={"action": "remove"}, headers=moderator.headers
    )

    assert decided.status_code == 201
    assert again.status_code == 422
    shown = await client.get(f"/api/v1/posts/{flagged['id']}", headers=bob.headers)
    assert shown.status_code == 200
    assert shown.json()["moderation_notice"] is None


async def test_only_moderators_reach_the_queue(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    paths = ["/api/v1/moderation/queue", "/api/v1/moderation/audit"]

    for path in paths:
        response = await client.get(path, headers=alice.headers)
        assert response.status_code == 403
        assert "moderator" in response.json()["detail"]
        assert (await client.get(path)).status_code == 401
    decision = await client.post(
        f"/api/v1/moderation/items/{alice.id}/decision", json={"action": "approve"}, headers=alice.headers
    )
    assert decision.status_code == 403


async def test_the_audit_log_is_append_only(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    moderator = await make_moderator(client)
    standin.script(Answer(text=UNSAFE))
    await screened_post(client, alice, "nasty")
    item = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"][0]["items"][0]
    await client.post(f"/api/v1/moderation/items/{item['id']}/decision", json={"action": "warn"},
                      headers=moderator.headers)  # fmt: skip

    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await ModerationDecision.update({ModerationDecision.note: "rewritten"}).where(
            ModerationDecision.action == "warn"
        )
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await ModerationDecision.delete().where(ModerationDecision.action == "warn")
