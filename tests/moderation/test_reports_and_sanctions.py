"""Reports (what may be reported, the rate limit, the outcome the reporter sees) and sanctions (suspend, ban)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from salon.moderation.tables import Sanction
from tests.helpers import DEFAULT_PASSWORD, create_user
from tests.moderation.conftest import make_moderator, post


async def _report(client: httpx.AsyncClient, user: Any, subject_type: str, subject_id: str, **body: Any):  # type: ignore[no-untyped-def]
    payload = {"subject_type": subject_type, "subject_id": subject_id, "reason": "spam", **body}
    return await client.post("/api/v1/reports", json=payload, headers=user.headers)


async def test_reports_group_by_subject_and_the_reporter_sees_the_outcome(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    moderator = await make_moderator(client)
    target = await post(client, alice, "buy followers here")

    first = await _report(client, bob, "post", target["id"], note="ad")
    second = await _report(client, carol, "post", target["id"], reason="harassment")
    about_user = await _report(client, bob, "user", alice.id)

    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["outcome"], first.json()["note"]) == ("open", None, "ad")
    queue = (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]
    assert [(entry["subject_type"], len(entry["items"])) for entry in queue] == [("post", 2), ("user", 1)]
    assert queue[0]["hidden"] is False  # reports alone hide nothing
    assert {item["reporter_id"] for item in queue[0]["items"]} == {bob.id, carol.id}

    decided = await client.post(
        f"/api/v1/moderation/items/{second.json()['id']}/decision", json={"action": "remove"}, headers=moderator.headers
    )
    assert decided.status_code == 201
    assert sorted(decided.json()["item_ids"]) == sorted([first.json()["id"], second.json()["id"]])
    mine = (await client.get("/api/v1/reports", headers=bob.headers)).json()["items"]
    assert [(r["id"], r["status"], r["outcome"]) for r in mine] == [
        (about_user.json()["id"], "open", None),
        (first.json()["id"], "resolved", "remove"),
    ]
    assert (await client.get("/api/v1/reports", headers=alice.headers)).json()["items"] == []


async def test_what_cannot_be_reported(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    private = await post(client, alice, "note to self", visibility="private")
    own = await post(client, bob, "mine")

    hidden = await _report(client, bob, "post", private["id"])
    garbage = await _report(client, bob, "post", "nope")
    yourself = await _report(client, bob, "post", own["id"])
    unknown_chat = await _report(client, bob, "conversation", alice.id)
    bad_reason = await _report(client, bob, "user", alice.id, reason="boring")

    assert hidden.status_code == 404
    assert garbage.status_code == 404
    assert unknown_chat.status_code == 404
    assert yourself.status_code == 422
    assert bad_reason.status_code == 400


async def test_reports_are_rate_limited(client: httpx.AsyncClient, settings: Any) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    target = await post(client, alice, "hello")

    statuses = [
        (await _report(client, bob, "post", target["id"])).status_code for _ in range(settings.reports_max_per_hour)
    ]
    over = await _report(client, bob, "post", target["id"])

    assert set(statuses) == {201}
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) > 0
    assert str(settings.reports_max_per_hour) in over.json()["detail"]


async def test_a_suspension_stops_posting_until_it_expires(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    target = await post(client, alice, "rude")
    report = (await _report(client, bob, "post", target["id"])).json()

    decided = await client.post(
        f"/api/v1/moderation/items/{report['id']}/decision",
        json={"action": "suspend", "days": 2, "note": "Cool off."},
        headers=moderator.headers,
    )
    blocked = await client.post("/api/v1/posts", json={"content": "back!"}, headers=alice.headers)

    assert decided.status_code == 201
    until = datetime.fromisoformat(decided.json()["suspended_until"])
    assert timedelta(days=1, hours=23) < until - datetime.now(tz=UTC) <= timedelta(days=2)
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "suspended"
    await Sanction.update({Sanction.ends_at: datetime.now(tz=UTC) - timedelta(seconds=1)}).where(
        Sanction.user_id == alice.id
    )
    assert (await client.post("/api/v1/posts", json={"content": "back!"}, headers=alice.headers)).status_code == 201


@pytest.mark.parametrize("action", ["approve", "warn", "remove", "ban"])
async def test_days_is_refused_for_anything_but_a_suspension(client: httpx.AsyncClient, action: str) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    target = await post(client, alice, "rude")
    report = (await _report(client, bob, "post", target["id"])).json()
    path = f"/api/v1/moderation/items/{report['id']}/decision"

    refused = await client.post(path, json={"action": action, "days": 3}, headers=moderator.headers)
    decided = await client.post(path, json={"action": action}, headers=moderator.headers)

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["field"] == "days"
    assert decided.status_code == 201  # the refusal decided nothing
    assert decided.json()["suspended_until"] is None


async def test_a_ban_ends_sessions_and_hides_the_account(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    report = (await _report(client, bob, "user", alice.id)).json()

    decided = await client.post(
        f"/api/v1/moderation/items/{report['id']}/decision", json={"action": "ban"}, headers=moderator.headers
    )
    remove_user = await client.post(
        f"/api/v1/moderation/items/{report['id']}/decision", json={"action": "remove"}, headers=moderator.headers
    )

    assert decided.status_code == 201
    assert remove_user.status_code == 422  # already decided
    assert (await client.get("/api/v1/users/me", headers=alice.headers)).status_code == 401
    sign_in = await client.post("/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})
    assert sign_in.status_code in (401, 403)
    assert (await client.get("/api/v1/users/alice")).status_code == 404


async def test_remove_applies_to_posts_only_and_not_to_your_own(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    about_alice = (await _report(client, bob, "user", alice.id)).json()
    about_moderator = (await _report(client, bob, "user", moderator.id)).json()

    remove_user = await client.post(
        f"/api/v1/moderation/items/{about_alice['id']}/decision", json={"action": "remove"}, headers=moderator.headers
    )
    own = await client.post(
        f"/api/v1/moderation/items/{about_moderator['id']}/decision", json={"action": "approve"},
        headers=moderator.headers,
    )  # fmt: skip
    unknown = await client.post(
        f"/api/v1/moderation/items/{alice.id}/decision", json={"action": "approve"}, headers=moderator.headers
    )

    assert remove_user.status_code == 422
    assert remove_user.json()["field"] == "action"
    assert own.status_code == 403
    assert unknown.status_code == 404
