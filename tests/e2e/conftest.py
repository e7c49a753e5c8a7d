"""Browser fixtures: the real app served on a free loopback port, and a page of
Debian's chromium driven by Playwright (its own browser download is impossible here:
the network is closed, so we point Playwright at /usr/bin/chromium).

    def test_something(live_server, browser_page):
        browser_page.goto(live_server + "/login/")
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("MB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: how long a browser action or an `expect` may wait for the page (ms)
TIMEOUT_MS = 15_000


@pytest.fixture
def backend():
    """Browser tests run on SQLite only. They check what a person sees and does
    (forms, redirects, cookies, page scripts); the database backends are already
    compared by every unit and integration test, and a second browser run per test on
    PostgreSQL would double the slowest tests for no new coverage. This overrides the
    parametrized `backend` fixture of tests/conftest.py for this folder."""
    return "sqlite"


@pytest.fixture
def app(database_url, redis_server):
    """The app with CSRF protection on, as in production (issue 13): the browser tests prove
    that every form and every script call of the pages carries its token."""
    import redis as redis_lib
    from tests.conftest import make_app
    redis_lib.Redis.from_url(redis_server.url).flushdb()
    application = make_app(database_url, REDIS_URL=redis_server.url, WTF_CSRF_ENABLED=True)
    yield application
    from app.extensions import db
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


class LiveServer:
    """A werkzeug server in a daemon thread, one request per thread like gunicorn's
    workers would overlap them."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def live_server(app):
    """The base URL (no trailing slash) of `app` served on a free loopback port."""
    server = LiveServer(app).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: browser tests need Debian's chromium "
                    "(apt-get install chromium; scripts/test installs it)")
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh page (own cookies) in Korean, whose relative URLs resolve against
    `live_server`."""
    context = browser.new_context(base_url=live_server, locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def login(page, username: str, password: str) -> None:
    """Log in through the real login form and wait until the browser has left it."""
    from playwright.sync_api import expect
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page).not_to_have_url(re.compile(r"/login/"))
