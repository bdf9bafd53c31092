"""The web client in a real browser: sign up and post, the live feed, a stream outliving its token, live direct
messages, a streaming AI reply, errors and the second factor, a goal with its coach, editing and deleting a post."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pyotp
from playwright.sync_api import Page, expect

from tests_e2e.conftest import ARTIFACTS, PASSWORD, SHORT_ACCESS_TOKEN_SECONDS, Stack, sign_up, unique_name


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


def test_a_post_reaches_a_followers_open_feed(open_page: Callable[..., Page]) -> None:
    alice_name, bob_name = unique_name("alice"), unique_name("bob")
    alice, bob = open_page("alice"), open_page("bob")
    sign_up(alice, alice_name, "Alice Liddell")
    sign_up(bob, bob_name, "Bob Builder")

    bob.goto(f"/#/@{alice_name}")
    expect(bob.get_by_role("heading", name="Alice Liddell")).to_be_visible()
    bob.get_by_role("button", name="Follow", exact=True).click()
    expect(bob.get_by_role("button", name="Following")).to_be_visible()
    # Alice's unread badge counts the follow as soon as the worker has made the notification.
    expect(alice.get_by_role("link", name=re.compile("Notifications")).locator(".badge-count")).to_have_text("1")
    bob.get_by_role("link", name="Home").click()
    # Bob's feed has loaded (empty: Alice has not posted) before she posts. A first page still in flight when her
    # post reaches his timeline would show it at once, with nothing left to offer.
    expect(bob.get_by_text("Your feed is empty.")).to_be_visible()

    alice.get_by_label("Post text").fill("Tea at four, anyone? #wonderland")
    alice.get_by_role("form", name="New post").get_by_role("button", name="Post").click()
    expect(alice.get_by_role("article").filter(has_text="Tea at four")).to_be_visible()

    # Bob did nothing: the feed notices the new post on its own and offers it.
    bob.get_by_role("button", name=re.compile(r"new post")).click(timeout=30_000)
    post = bob.get_by_role("article").filter(has_text="Tea at four")
    expect(post).to_be_visible()
    expect(post.get_by_role("link", name=re.compile("Alice Liddell"))).to_be_visible()
    bob.screenshot(path=ARTIFACTS / "feed.png")
    bob.set_viewport_size({"width": 390, "height": 844})
    bob.screenshot(path=ARTIFACTS / "feed-mobile.png")

    # Opening the notifications moves the read marker: the badge clears.
    alice.get_by_role("link", name=re.compile("Notifications")).click()
    expect(alice.get_by_role("link", name=re.compile("Bob Builder followed you"))).to_be_visible()
    expect(alice.get_by_role("link", name=re.compile("Notifications")).locator(".badge-count")).to_be_hidden()
    alice.goto(f"/#/@{bob_name}")
    expect(alice.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    expect(alice.get_by_text("Bob Builder has not posted yet.")).to_be_visible()
    alice.screenshot(path=ARTIFACTS / "profile.png")


def test_the_live_stream_outlives_its_access_token(open_page: Callable[..., Page], short_token_url: str) -> None:
    """A stream ends when its access token expires (``session.ended``, ``token_expired``): the page refreshes the token,
    opens a new stream with a fresh ticket and stays live, and the person never notices."""
    alice_name, bob_name = unique_name("alice"), unique_name("bob")
    alice, bob = open_page("alice", url=short_token_url), open_page("bob", url=short_token_url)
    streams: list[str] = []
    alice.on("request", lambda request: streams.append(request.url) if "/api/v1/events?" in request.url else None)
    sign_up(alice, alice_name, "Alice Liddell")
    sign_up(bob, bob_name, "Bob Builder")
    opened = len(streams)

    alice.wait_for_timeout((SHORT_ACCESS_TOKEN_SECONDS + 3) * 1000)  # at least one expiry of her stream's token

    assert len(streams) > opened, streams  # a new stream (a new ticket) after the old one ended
    expect(alice.get_by_role("heading", name="Home")).to_be_visible()  # still signed in
    expect(alice.locator(".live-dot[data-status=live]")).to_be_attached()
    bob.goto(f"/#/@{alice_name}")
    bob.get_by_role("button", name="Follow", exact=True).click()
    expect(bob.get_by_role("button", name="Following")).to_be_visible()
    # The follow reaches Alice's page live, through the stream opened after the expiry.
    expect(alice.get_by_role("link", name=re.compile("Notifications")).locator(".badge-count")).to_have_text("1")


def test_a_direct_message_arrives_live_with_typing_and_read_receipt(open_page: Callable[..., Page]) -> None:
    alice_name, bob_name = unique_name("alice"), unique_name("bob")
    alice, bob = open_page("alice"), open_page("bob")
    sign_up(alice, alice_name, "Alice Liddell")
    sign_up(bob, bob_name, "Bob Builder")
    bob.get_by_role("link", name="Chats").click()
    expect(bob.get_by_text("Choose a chat")).to_be_visible()

    alice.goto(f"/#/@{bob_name}")
    alice.get_by_role("button", name="Message").click()
    alice.get_by_label("Message", exact=True).fill("Hi Bob, can you build it?")
    alice.get_by_label("Message", exact=True).press("Enter")
    expect(alice.locator("li.message.mine").filter(has_text="can you build it")).to_be_visible()

    # The chat appears in Bob's list while he looks at it, with the unread badge in the navigation.
    bob.get_by_role("link", name=re.compile("Alice Liddell")).click()
    expect(bob.locator("li.message").filter(has_text="Hi Bob, can you build it?")).to_be_visible()
    expect(alice.locator(".receipt")).to_have_text("Seen")

    bob.get_by_label("Message", exact=True).press_sequentially("Yes we ca", delay=40)
    expect(alice.get_by_text("Bob Builder is typing…")).to_be_visible()
    bob.get_by_label("Message", exact=True).press_sequentially("n!", delay=40)
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(alice.locator("li.message").filter(has_text="Yes we can!")).to_be_visible()
    expect(alice.get_by_text("Bob Builder is typing…")).to_be_hidden()

    alice.get_by_label("Message", exact=True).fill("Great, see you on Monday")
    alice.get_by_label("Message", exact=True).press("Enter")
    expect(bob.locator("li.message").filter(has_text="see you on Monday")).to_be_visible()
    bob.screenshot(path=ARTIFACTS / "chat.png")


def test_an_ai_reply_streams_survives_a_reload_and_forks(open_page: Callable[..., Page]) -> None:
    page = open_page("carol")
    sign_up(page, unique_name("carol"), "Carol Danvers")
    page.get_by_role("link", name="AI", exact=True).click()
    page.get_by_role("button", name="New conversation").click()
    page.get_by_label("Message", exact=True).fill("What is salon?")
    page.get_by_label("Message", exact=True).press("Enter")

    reply = page.locator("li.message.model").last
    expect(reply).to_have_class(re.compile("streaming"))
    stop = page.get_by_role("button", name="Stop the reply")
    expect(stop).to_be_visible()
    expect(reply.locator(".bubble")).not_to_be_empty()
    first = reply.locator(".bubble").inner_text()
    page.wait_for_timeout(600)
    later = reply.locator(".bubble").inner_text()
    assert len(later) > len(first) > 0, "the reply did not grow token by token"
    page.screenshot(path=ARTIFACTS / "ai-streaming.png")
    expect(reply).not_to_have_class(re.compile("streaming"), timeout=30_000)
    complete = reply.locator(".bubble").inner_text()

    # A second question, and a reload while its reply streams: the page re-attaches and the reply completes.
    page.get_by_label("Message", exact=True).fill("Tell me more")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("li.message.model").nth(1)).to_have_class(re.compile("streaming"))
    page.wait_for_timeout(800)
    page.reload()
    resumed = page.locator("li.message.model").nth(1)
    expect(resumed).to_have_class(re.compile("streaming"))
    expect(page.get_by_role("button", name="Stop the reply")).to_be_visible()
    expect(resumed).not_to_have_class(re.compile("streaming"), timeout=30_000)
    expect(resumed.locator(".bubble")).not_to_be_empty()

    # Fork from the first reply: a new conversation holding the first exchange only.
    page.locator("li.message.model").first.get_by_role("button", name="Fork from here").click()
    expect(page.get_by_text("Forked conversation")).to_be_visible()
    expect(page.locator("li.message")).to_have_count(2)
    expect(page.locator("li.message.model .bubble")).to_have_text(complete)


def test_errors_are_shown_and_sign_in_asks_for_the_second_factor(open_page: Callable[..., Page], stack: Stack) -> None:
    username = unique_name("erin")
    tokens = httpx.post(
        f"{stack.url}/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    secret = httpx.post(f"{stack.url}/api/v1/auth/2fa/setup", headers=headers).json()["secret"]
    enabled = httpx.post(
        f"{stack.url}/api/v1/auth/2fa/enable", headers=headers, json={"code": pyotp.TOTP(secret).now()}
    )
    recovery_code = enabled.json()["recovery_codes"][0]

    # The problem's detail is shown to the person: here, a username someone already has.
    page = open_page("erin")
    page.goto("/#/signup")
    page.get_by_label("Username", exact=True).fill(username.upper())
    page.get_by_label("Email").fill("someone.else@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("This username is taken (usernames ignore case). Choose another.")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("group", name="Two-factor authentication")).to_be_visible()
    expect(page.get_by_label("Authentication code")).to_be_focused()
    page.get_by_label("Or a recovery code").fill(recovery_code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


def test_a_goal_with_a_check_in_and_its_coach(open_page: Callable[..., Page]) -> None:
    page = open_page("gina")
    sign_up(page, unique_name("gina"), "Gina Runner")
    page.get_by_role("link", name="Goals").click()
    page.get_by_label("Goal", exact=True).fill("Run 100 km")
    page.get_by_label("Target").fill("100")
    page.get_by_label("Unit").fill("km")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Run 100 km")).to_be_visible()

    page.get_by_label("How much (km)").fill("5")
    page.get_by_label("Note").fill("Easy morning run")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("5 / 100 km")).to_be_visible()
    expect(page.get_by_role("feed", name="Check-ins").get_by_text("Easy morning run")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "goal.png")

    page.get_by_role("button", name="Talk to the coach").click()
    expect(page.get_by_role("region", name="AI conversation")).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_visible()


def test_an_own_post_is_edited_with_its_history_then_deleted(open_page: Callable[..., Page]) -> None:
    page = open_page("hana")
    sign_up(page, unique_name("hana"), "Hana Editor")
    page.get_by_label("Post text").fill("First draft of a thought")
    page.get_by_role("form", name="New post").get_by_role("button", name="Post").click()
    # By its id: while the editor is open the text is a textarea's value, not the card's text.
    post_id = page.get_by_role("article").filter(has_text="First draft of a thought").get_attribute("data-post-id")
    post = page.locator(f'article[data-post-id="{post_id}"]')
    post.get_by_role("button", name="More actions").click()
    expect(post.get_by_role("button", name="Report post")).to_have_count(0)
    post.get_by_role("button", name="Edit post").click()
    editor = post.get_by_label("Edit post text")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("First draft of a thought")
    page.screenshot(path=ARTIFACTS / "post-editor.png")

    # The API's rule, in its words: an edit cannot empty the post.
    editor.fill("   ")
    post.get_by_role("button", name="Save").click()
    expect(post.get_by_role("alert")).to_have_text("A post needs some text: content is empty.")

    editor.fill("Second draft, now with #edits")
    post.get_by_label("Who can see this").select_option("private")
    post.get_by_role("button", name="Save").click()
    edited = page.get_by_role("article").filter(has_text="Second draft")
    expect(edited.get_by_role("link", name="#edits")).to_be_visible()
    expect(edited.get_by_text("Only me", exact=True)).to_be_visible()
    expect(edited.get_by_role("button", name=re.compile("^Repost"))).to_have_count(0)
    expect(page.get_by_label("Edit post text")).to_have_count(0)
    expect(edited.get_by_role("button", name="More actions")).to_be_focused()
    edited.get_by_role("button", name=re.compile("^edited")).click()
    history = edited.get_by_role("list")
    expect(history.get_by_role("listitem")).to_have_count(1)
    expect(history.get_by_role("listitem")).to_contain_text("First draft of a thought")
    expect(edited.locator(".post-history")).not_to_contain_text("null")
    page.screenshot(path=ARTIFACTS / "post-history.png")

    page.once("dialog", lambda dialog: dialog.accept())
    edited.get_by_role("button", name="More actions").click()
    edited.get_by_role("button", name="Delete post").click()
    expect(page.get_by_text("This post was deleted.")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(0)
    page.reload()
    expect(page.get_by_text("Your feed is empty.")).to_be_visible()
