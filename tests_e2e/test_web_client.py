"""The web client in a real browser: sign up, post, live feed, live direct messages, a streaming AI reply."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests_e2e.conftest import ARTIFACTS, sign_up, unique_name


def test_sign_up_and_post_shows_in_own_feed(open_page: Callable[..., Page]) -> None:
    page = open_page("alice")
    sign_up(page, unique_name("alice"), "Alice Liddell")
    page.get_by_label("Post text").fill("Hello from the browser #firstpost")
    page.get_by_role("button", name="Post", exact=True).click()
    post = page.get_by_role("article").filter(has_text="Hello from the browser")
    expect(post).to_be_visible()
    expect(post.get_by_role("link", name="#firstpost")).to_be_visible()
    post.get_by_role("button", name=re.compile(r"^Like")).click()
    expect(post.get_by_role("button", name=re.compile(r"^Unlike"))).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "feed-own.png")
