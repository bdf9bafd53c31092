"""Browser tests of the web client: headless Chromium (Debian's package) driven by Playwright for Python.

One stack per session, as `salon dev` runs it: embedded Postgres and Valkey, the API under Granian, a `salon worker`
process and the Gemini stand-in on loopback (streaming slowly enough to watch a reply arrive token by token).
Run with `make e2e`; screenshots land in tests_e2e/artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("SALON_E2E_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "correct horse battery staple"

expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    url: str
    tmp: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn_api(self, name: str, port: int, **settings: str) -> str:
        """Start an API process (Granian, one worker) on ``port`` with the stack's stores and these extra settings;
        returns its URL once it is healthy."""
        self.spawn(name, [
            sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "salon.server:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--workers-kill-timeout", "5",
        ], {**self.env, "SALON_PORT": str(port), **settings})  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(self, url)
        return url

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with (self.tmp / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(stack: Stack, url: str, deadline_seconds: float = 60) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{stack.log(name)}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"salon did not become healthy:\n{stack.log('api')}")


STACK = pytest.StashKey[Stack]()


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    from salon.lib.embedded import EmbeddedStores

    tmp = Path(tempfile.mkdtemp(prefix="salon-e2e-"))
    stores = EmbeddedStores(tmp / "data").start()
    port, standin_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": stores.database_url or "",
        "VALKEY_URL": stores.valkey_url or "",
        "SALON_DATA_DIR": str(tmp / "data"),
        "SALON_ENVIRONMENT": "test",
        "SALON_SECRET_KEY": f"e2e-{uuid.uuid4().hex}-secret-key-long-enough-for-hs256",
        "SALON_PORT": str(port),
        "SALON_REGISTER_MAX_PER_IP_PER_HOUR": "10000",
        "SALON_PASSWORD_HASH_TIME_COST": "1",
        "SALON_PASSWORD_HASH_MEMORY_KIB": "8192",
        "SALON_PASSWORD_HASH_PARALLELISM": "1",
        "GEMINI_API_KEY": "e2e-key",
        "SALON_GEMINI_BASE_URL": f"http://127.0.0.1:{standin_port}",
        "PICCOLO_CONF": "salon.piccolo_conf",
    }
    stack = Stack(url=f"http://127.0.0.1:{port}", tmp=tmp, env=env)
    try:
        subprocess.run([sys.executable, "-m", "salon", "migrate"], env=env, check=True, capture_output=True)
        # A reply streams for 6 s: long enough that the AI test sees it grow and reloads the page while it streams,
        # even on a slow machine.
        stack.spawn("standin", [sys.executable, "-m", "salon.ai.standin", "--port", str(standin_port),
                                "--chunks", "60", "--delay-ms", "100"], env)  # fmt: skip
        stack.spawn("worker", [sys.executable, "-m", "salon", "worker"], env)
        stack.spawn_api("api", port)
        request.session.stash[STACK] = stack
        yield stack
    finally:
        stack.stop()
        stores.stop()
        shutil.rmtree(tmp, ignore_errors=True)


SHORT_ACCESS_TOKEN_SECONDS = 8


@pytest.fixture(scope="session")
def short_token_url(stack: Stack) -> str:
    """A second API process on the same stores, whose access tokens live SHORT_ACCESS_TOKEN_SECONDS: what happens
    when a token expires under an open page, without waiting 15 minutes."""
    return stack.spawn_api(
        "api-short-tokens", _free_port(), SALON_ACCESS_TOKEN_TTL_SECONDS=str(SHORT_ACCESS_TOKEN_SECONDS)
    )


@pytest.fixture(scope="session")
def playwright(stack: Stack) -> Iterator[Playwright]:
    # After the stack: the embedded stores run asyncio.run(), which cannot start inside Playwright's running loop.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set SALON_E2E_CHROMIUM)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


FAILED = pytest.StashKey[bool]()
# What the test's pages saw go wrong on the wire (responses >= 400, requests that failed), for a failure's report.
WIRE = pytest.StashKey[list[str]]()
LOG_TAIL_LINES = 60


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed
        if report.failed:
            _explain_failure(item, report)


def _explain_failure(item: pytest.Item, report: pytest.TestReport) -> None:
    """A failure in CI leaves only its output: add what the pages saw on the wire and the tail of each process's
    log (API, worker, stand-in) to the report."""
    report.sections.append(("pages: failed requests", "\n".join(item.stash.get(WIRE, [])) or "none"))
    stack = item.session.stash.get(STACK, None)
    if stack is None:
        return
    for name in stack.processes:
        tail = stack.log(name).splitlines()[-LOG_TAIL_LINES:]
        report.sections.append((f"{name} log (last {LOG_TAIL_LINES} lines)", "\n".join(tail)))


@pytest.fixture
def open_page(browser: Browser, stack: Stack, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """open_page(name) -> a Page in its own browser context (its own storage: one signed-in person per context);
    ``url=`` opens it on another API process of the stack (``short_token_url``)."""
    contexts: list[tuple[str, Any]] = []
    errors: list[str] = []
    wire = request.node.stash[WIRE] = []

    def factory(name: str, viewport: dict[str, int] | None = None, url: str | None = None) -> Page:
        viewport = viewport or {"width": 1280, "height": 860}
        context = browser.new_context(base_url=url or stack.url, viewport=viewport)
        contexts.append((name, context))
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{name}: {error}"))
        page.on("response", lambda response: _note_response(wire, name, response))
        page.on("requestfailed", lambda failed: wire.append(f"{name}: {failed.method} {failed.url}: {failed.failure}"))
        return page

    yield factory
    failed = request.node.stash.get(FAILED, False)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, context in contexts:
        if failed:
            for index, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"failure-{request.node.name}-{name}-{index}.png", full_page=True)
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _note_response(wire: list[str], name: str, response: Any) -> None:
    if response.status >= 400:
        wire.append(f"{name}: {response.request.method} {response.url} -> {response.status}")


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def sign_up(page: Page, username: str, display_name: str) -> None:
    """Create an account through the sign-up form and wait for the home feed."""
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.locator(".live-dot[data-status=live]")).to_be_attached()
