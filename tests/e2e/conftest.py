"""Shared set-up of the browser tests: Debian's Chromium driven by Playwright, and the
folder where screenshots are kept as test artifacts (OMS_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

PASSWORD = "pw-for-tests-1"  # tests.factories.make_user
STEP_TIMEOUT_MS = 5_000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def artifacts_dir() -> Path:
    path = Path(os.environ.get("OMS_TEST_ARTIFACTS", "var/test-artifacts/"))
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright. A missing browser is a failure, not a skip:
    this test is the only one that proves the pages work in a browser."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed (no `chromium` on PATH); install the Debian package `chromium` "
                    "(scripts/system-packages chromium) to run the browser tests.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself (fixtures, assertions) are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
            # Queries made while Playwright's loop runs get their own connection, which
            # the database teardown would otherwise find still open.
            connections.close_all()


def log_in_as(browser, live_server, user, *, label: str):
    """A new browser context (en-US, 1280×900) logged in as `user` through the login page.
    What goes wrong in the browser (console errors, page errors, HTTP errors) is printed,
    so it shows in the failure report, tagged with `label`."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda msg: print(f"[{label} console {msg.type}] {msg.text}"))
    page.on("pageerror", lambda error: print(f"[{label} page error] {error}"))
    page.on("response", lambda r: r.status >= 400 and print(f"[{label}] HTTP {r.status} {r.url}"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Welcome")
    return page


def switch_language(page, language: str) -> None:
    """Choose `language` in the language switch of the top bar, as a user does; the choice
    (Django's language cookie) holds for the rest of the browser context."""
    from playwright.sync_api import expect

    page.select_option("#language-select", language)
    expect(page.locator("html")).to_have_attribute("lang", language)
