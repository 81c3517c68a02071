"""Debian's headless Chromium, driven by playwright, for the tests that open a page as a reader
would: offline, every request to anything but a local file refused and recorded.

    with chromium(tmp_path / "profile") as browser:
        page = browser.new_page()
        seen = watch(page)
        page.goto(path.as_uri(), wait_until="load")
    assert seen.problems() == []
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium(
    profile: Path, *, width: int = 1280, height: int = 900, offline: bool = True
) -> Iterator[BrowserContext]:
    """A fresh browser context (its user-data-dir `profile`), closed when the block ends. Offline
    (the default), every request whose address is not a `file:` one is aborted before it leaves;
    `watch` lists them."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test-setup` installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            if offline:
                context.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
            yield context
        finally:
            context.close()


@dataclass
class Watched:
    """What a page asked for and what went wrong while it loaded."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        """Requests to anything but a local file."""
        return [url for url in self.requests if not url.startswith("file:")]

    def problems(self) -> list[str]:
        """Every request outside, failed request and console error, for one assertion."""
        return [
            *(f"request outside: {url}" for url in self.outside),
            *(f"failed: {failure}" for failure in self.failed),
            *(f"console: {error}" for error in self.console_errors),
        ]


def watch(page: Page) -> Watched:
    """Record the page's requests, failed requests and console errors from now on."""
    seen = Watched()
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on(
        "requestfailed",
        lambda request: seen.failed.append(f"{request.url} ({request.failure})"),
    )
    page.on(
        "console",
        lambda message: (
            seen.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
    return seen
