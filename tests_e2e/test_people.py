"""The web client in a real browser, between people: blocking, muting, reporting, and the lists of whom you blocked and
muted on your own profile."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests_e2e.conftest import ARTIFACTS, PASSWORD, Stack, unique_name


def _register(stack: Stack, username: str, display_name: str) -> dict[str, str]:
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "display_name": display_name,
    }
    response = httpx.post(f"{stack.url}/api/v1/auth/register", json=body)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _a_post_in_bobs_feed(stack: Stack, page: Page, text: str) -> tuple[str, str, dict[str, str]]:
    """Alice posts `text`; Bob follows her and signs in in `page`, where her post is in his feed.
    Answers (alice's username, the post's id, Bob's headers)."""
    alice_name, bob_name = unique_name("alice"), unique_name("bob")
    alice = _register(stack, alice_name, "Alice Liddell")
    bob = _register(stack, bob_name, "Bob Builder")
    post_id = httpx.post(f"{stack.url}/api/v1/posts", headers=alice, json={"content": text}).json()["id"]
    httpx.post(f"{stack.url}/api/v1/users/{alice_name}/follow", headers=bob).raise_for_status()
    # Following brings her recent posts into his feed by a worker job: wait (bounded) until it has run.
    deadline = time.monotonic() + 15
    while post_id not in {item["post"]["id"] for item in _feed(stack, bob)}:
        assert time.monotonic() < deadline, "the followed author's post never reached the feed"
        time.sleep(0.2)

    page.goto("/#/signin")
    page.get_by_label("Username or email").fill(bob_name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text=text)).to_be_visible()
    return alice_name, post_id, bob


def _feed(stack: Stack, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url}/api/v1/feed", headers=headers, params={"algorithm": "chronological"})
    return list(response.json()["items"])


def test_blocking_someone_takes_their_post_out_of_the_feed(open_page: Callable[..., Page], stack: Stack) -> None:
    page = open_page("bob")
    alice_name, _, bob = _a_post_in_bobs_feed(stack, page, "Curiouser and curiouser")
    page.get_by_role("article").get_by_role("link", name=re.compile("Alice Liddell")).click()
    expect(page.get_by_role("heading", name="Alice Liddell")).to_be_visible()
    expect(page.get_by_role("button", name="Following")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Block", exact=True).click()
    unblock = page.get_by_role("button", name="Unblock")
    expect(unblock).to_have_attribute("aria-pressed", "true")
    expect(unblock).to_be_focused()
    for name in ("Following", "Follow", "Message", "Add friend"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_text(f"You blocked @{alice_name}.")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "profile-blocked.png")

    page.get_by_role("link", name="Home").click()
    expect(page.get_by_text("Your feed is empty.")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(0)
    relation = httpx.get(f"{stack.url}/api/v1/users/{alice_name}/relationship", headers=bob).json()
    assert relation["blocking"] is True
    assert relation["following"] is False

    # Unblocking gives the buttons back (the block ended the follow: it is not restored).
    page.goto(f"/#/@{alice_name}")
    page.get_by_role("button", name="Unblock").click()
    expect(page.get_by_role("button", name="Block", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    expect(page.get_by_role("article").filter(has_text="Curiouser and curiouser")).to_be_visible()


def test_muting_someone_is_remembered_and_quiets_the_feed(open_page: Callable[..., Page], stack: Stack) -> None:
    page = open_page("bob")
    alice_name, _, bob = _a_post_in_bobs_feed(stack, page, "We're all mad here")
    page.goto(f"/#/@{alice_name}")
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text(f"Muted: posts by @{alice_name} stay out of your feeds")).to_be_visible()
    # Muting is not blocking: still following, and her profile still lists the post.
    expect(page.get_by_role("button", name="Following")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text="We're all mad here")).to_be_visible()

    page.reload()
    expect(page.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=ARTIFACTS / "profile-muted-mobile.png")
    page.set_viewport_size({"width": 1280, "height": 860})
    # A person can be reported from their profile too.
    page.get_by_role("button", name="Report", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Report @{alice_name}")
    dialog.get_by_label("Harassment or bullying").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="Your report was sent to the moderators")).to_be_visible()
    reports = httpx.get(f"{stack.url}/api/v1/reports", headers=bob).json()["items"]
    assert [(r["subject_type"], r["reason"]) for r in reports] == [("user", "harassment")]
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_text("Your feed is empty.")).to_be_visible()


def test_reporting_a_post_reaches_the_moderators(open_page: Callable[..., Page], stack: Stack) -> None:
    page = open_page("bob")
    _, post_id, bob = _a_post_in_bobs_feed(stack, page, "Buy cheap watches here")
    post = page.get_by_role("article").filter(has_text="Buy cheap watches here")
    post.get_by_role("button", name="More actions").click()
    expect(post.get_by_role("button", name="Edit post")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "post-menu.png")
    post.get_by_role("button", name="Report post").click()
    dialog = page.get_by_role("dialog", name="Report post")
    dialog.get_by_role("group", name="Why are you reporting this?").get_by_label("Spam").check()
    dialog.get_by_label("Anything the moderators should know").fill("Posted in every thread")
    page.screenshot(path=ARTIFACTS / "report-dialog.png")
    dialog.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="Your report was sent to the moderators")).to_be_visible()
    expect(dialog).to_have_count(0)

    reports = httpx.get(f"{stack.url}/api/v1/reports", headers=bob).json()["items"]
    assert [(r["subject_type"], r["subject_id"], r["reason"], r["note"]) for r in reports] == [
        ("post", post_id, "spam", "Posted in every thread")
    ]


def test_own_profile_lists_blocked_and_muted_people_with_unblock_and_unmute(
    open_page: Callable[..., Page], stack: Stack
) -> None:
    alice_name, carol_name, bob_name = unique_name("alice"), unique_name("carol"), unique_name("bob")
    _register(stack, alice_name, "Alice Liddell")
    _register(stack, carol_name, "Carol Singer")
    bob = _register(stack, bob_name, "Bob Builder")
    httpx.post(f"{stack.url}/api/v1/users/{alice_name}/block", headers=bob).raise_for_status()
    httpx.post(f"{stack.url}/api/v1/users/{carol_name}/mute", headers=bob).raise_for_status()

    page = open_page("bob")
    page.goto("/#/signin")
    page.get_by_label("Username or email").fill(bob_name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"/#/@{bob_name}")
    section = page.get_by_role("region", name="Blocked and muted")
    blocked = section.get_by_role("feed", name="Blocked accounts")
    muted = section.get_by_role("feed", name="Muted accounts")
    expect(blocked.get_by_role("link", name="Alice Liddell")).to_be_visible()
    expect(muted.get_by_role("link", name="Carol Singer")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "profile-blocked-and-muted.png")

    blocked.get_by_role("button", name=f"Unblock @{alice_name}").click()
    expect(blocked.get_by_text(f"Unblocked @{alice_name}.")).to_be_visible()
    muted.get_by_role("button", name=f"Unmute @{carol_name}").click()
    expect(muted.get_by_text(f"Unmuted @{carol_name}.")).to_be_visible()
    relation = httpx.get(f"{stack.url}/api/v1/users/{alice_name}/relationship", headers=bob).json()
    assert relation["blocking"] is False
    relation = httpx.get(f"{stack.url}/api/v1/users/{carol_name}/relationship", headers=bob).json()
    assert relation["muting"] is False

    page.reload()
    expect(section.get_by_text("You have not blocked anyone.")).to_be_visible()
    expect(section.get_by_text("You have not muted anyone.")).to_be_visible()
