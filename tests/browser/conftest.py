"""The admin console in a real browser: Debian's Chromium (/usr/bin/chromium, which .ci/run
installs) driven by Playwright for Python, against a real uvicorn process on a loopback port,
with a real SMTP server. Playwright's own browser download is never used.

Every test saves screenshots of the pages it visits into $CONNECTOR_ARTIFACTS (default
var/screenshots/, not committed)."""

from __future__ import annotations

import base64
import http.client
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SmtpSink, free_port, smtp_server
from tests.harness import INBOUND, ROOT, connector_env, wait_ready, web

CHROMIUM = Path("/usr/bin/chromium")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN = ("admin", "browser-admin-secret")
ARTIFACTS = Path(os.environ.get("CONNECTOR_ARTIFACTS") or ROOT / "var" / "screenshots")


class Console:
    """The running connector: its URL, its SMTP server, and a way to post mail to it."""

    def __init__(self, port: int, smtp: SmtpSink) -> None:
        self.port, self.smtp = port, smtp
        self.url = f"http://127.0.0.1:{port}"

    def send(self, raw: bytes) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        basic = base64.b64encode(f"{INBOUND[0]}:{INBOUND[1]}".encode()).decode()
        connection.request("POST", "/inbound/raw", body=raw, headers={
            "Authorization": f"Basic {basic}", "Content-Type": "message/rfc822"})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, body
        return int(re.search(rb'"id":\s*(\d+)', body).group(1))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console")
    port = free_port()
    with smtp_server() as smtp:
        # The outgoing server starts wrong (a closed port): the SMTP test sets it right.
        env = connector_env(f"sqlite:///{folder}/c.db", folder / "data", free_port(),
                            admin_password=ADMIN[1], poll_seconds=0.05,
                            outbox_retry_base_seconds=0.05)
        process = web(env, port, folder / "web.log").start()
        try:
            wait_ready(port)
            yield Console(port, smtp)
        finally:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; "
                    ".ci/run does it)")
    playwright_api = pytest.importorskip("playwright.sync_api",
                                         reason="playwright (the dev extra) is not installed")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, console: Console, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies) for each test."""
    context = browser.new_context(base_url=console.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.screenshots = Screenshots(tab, request.node.name)  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        context.close()


class Screenshots:
    def __init__(self, tab: Any, test: str) -> None:
        self.tab, self.test = tab, test
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(self, name: str) -> Path:
        path = ARTIFACTS / f"{self.test}-{name}.png"
        self.tab.screenshot(path=str(path), full_page=True)
        return path


def sign_in(tab: Any, password: str = ADMIN[1]) -> None:
    tab.goto("/admin")
    tab.get_by_label("User name").fill(ADMIN[0])
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
