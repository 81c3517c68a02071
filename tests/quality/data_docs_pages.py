"""Reading great-expectations Data Docs as their reader does: the files they load, and the pages
in headless Chromium with the network cut off (tests/chromium.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from chromium import watch

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

# Elements whose src or href the browser fetches when it opens the page (an <a href> it does not).
RESOURCE_ATTRIBUTES = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "embed": "src",
    "object": "data",
}
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""(url\(\s*['"]?\s*(https?:)?//|@import)""", re.IGNORECASE)


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if (name := RESOURCE_ATTRIBUTES.get(tag)) and values.get(name):
            self.urls.append(values[name] or "")
        if values.get("style"):
            self.styles.append(values["style"] or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def remote_resources(html: str) -> list[str]:
    """What in a page would be fetched from the network: src/href of the elements a browser loads
    (scripts, stylesheets, images, frames) that are http(s) or protocol-relative addresses, and
    remote `url(...)` or `@import` in its styles."""
    parser = _Resources()
    parser.feed(html)
    remote = [url for url in parser.urls if REMOTE.match(url)]
    remote += [m.group(0) for style in parser.styles for m in CSS_REMOTE.finditer(style)]
    return remote


@dataclass
class RunResult:
    suite: str
    run_name: str
    success: bool


def results_gx_stored(gx_root: Path) -> list[RunResult]:
    """The validation results in the GX project: the suites GX ran, per run."""
    results = []
    for path in sorted((gx_root / "gx" / "uncommitted" / "validations").rglob("*.json")):
        result = json.loads(path.read_text())
        meta = result["meta"]
        results.append(
            RunResult(result["suite_name"], meta["run_id"]["run_name"], result["success"])
        )
    return results


@dataclass
class IndexRow:
    suite: str
    run_name: str
    mark: str | None  # "passed", "failed", or None when the row shows neither
    mark_drawn: bool  # the mark's icon font drew a glyph
    href: str


@dataclass
class Opened:
    """A page as Chromium showed it."""

    problems: list[str]
    styled: bool  # bootstrap's stylesheet applied (its navbar is a flex box)
    marks: dict[str, int] = field(default_factory=dict)  # passed / failed icons with a glyph
    rows: list[IndexRow] = field(default_factory=list)


_INDEX_ROWS = """() => {
    const table = document.querySelector('table.ge-index-page-validation-results-table');
    const fields = Array.from(table.querySelectorAll('thead th')).map((th) => th.dataset.field);
    return Array.from(table.querySelectorAll('tbody tr[data-index]')).map((tr) => {
        const cell = (name) => tr.cells[fields.indexOf(name)].innerText.trim();
        const icon = tr.querySelector('i.fa-check-circle, i.fa-times');
        const glyph = icon ? getComputedStyle(icon, '::before').content : 'none';
        return {
            suite: cell('expectation_suite_name'),
            run_name: cell('run_name'),
            mark: !icon ? null : icon.classList.contains('fa-check-circle') ? 'passed' : 'failed',
            mark_drawn: !['none', 'normal', ''].includes(glyph),
            href: tr.dataset.href,
        };
    });
}"""

_MARKS = """async () => {
    await document.fonts.ready;
    const drawn = (selector) => Array.from(document.querySelectorAll(selector)).filter(
        (icon) => !['none', 'normal', ''].includes(getComputedStyle(icon, '::before').content)
    ).length;
    const solid = document.fonts.check('900 16px "Font Awesome 6 Free"');
    return {
        passed: solid ? drawn('i.fa-check-circle') : 0,
        failed: solid ? drawn('i.fa-times') : 0,
    };
}"""

_STYLED = """() => {
    const navbar = document.querySelector('nav.navbar');
    return navbar !== null && getComputedStyle(navbar).display === 'flex';
}"""


def open_page(browser: BrowserContext, path: Path, screenshot: Path) -> Opened:
    """Open a Data Docs page, wait for its tables (bootstrap-table draws them from data), read
    what it shows and save a screenshot of it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page()
    seen = watch(page)
    try:
        page.goto(path.as_uri(), wait_until="load")
        is_index = page.locator("table.ge-index-page-validation-results-table").count() > 0
        if is_index:
            try:
                page.wait_for_selector(
                    "table.ge-index-page-validation-results-table tbody tr[data-index]",
                    timeout=15_000,
                )
            except PlaywrightTimeout:
                raise AssertionError(
                    f"the index drew no row of results: {seen.problems()}"
                ) from None
        opened = Opened(problems=[], styled=page.evaluate(_STYLED), marks=page.evaluate(_MARKS))
        if is_index:
            opened.rows = [IndexRow(**row) for row in page.evaluate(_INDEX_ROWS)]
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    opened.problems = seen.problems()
    return opened
