"""Headless Chromium through Playwright: the meeting page as a user drives it, and axe-core.

The browser is Debian's chromium (`playwright install` downloads browsers, which this project never
does); its fake microphone gives the page's MediaRecorder real audio to record.
"""
from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Debian's package by default; CI runners with their own Chrome set CHROMIUM_BINARY.
CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGE_TIMEOUT_MS = 30_000  # generous: the machine may be busy; a pass is usually ~1 s
CONNECTED = re.compile(r"^Connected \(worker (\d+)\)\.$")
# Browser UI that headless Chromium (156) builds for every context though nobody sees it: the
# omnibox's WebUI popup, a renderer of its own per context (~1.3 s of CPU each here, ten times
# what the meeting page's renderer takes).
UNSEEN_UI_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup"]
# Where Playwright's driver keeps its Chromium switches (1.65 bundles them; earlier: one module).
PLAYWRIGHT_SWITCHES = ("driver/package/lib/coreBundle.js",
                       "driver/package/lib/server/chromium/chromiumSwitches.js")
RECORD_S = 0.5  # long enough for MediaRecorder to hand over a non-empty chunk (0.3 s did here)


def launch_args() -> dict:
    """Playwright launch options for Debian's chromium; fail with the install hint if it is missing."""
    if not CHROMIUM.is_file():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install -y chromium "
                                "(or set CHROMIUM_BINARY)")
    return {"executable_path": str(CHROMIUM), "args": FLAGS + disabled_features()}


def disabled_features() -> list[str]:
    """The --disable-features switch: Playwright's own list and UNSEEN_UI_FEATURES.

    Chromium keeps the last --disable-features it is given, so one naming only ours would turn
    Playwright's back on; without Playwright's list to repeat, none is passed."""
    theirs = playwright_disabled_features()
    return [f"--disable-features={','.join(theirs + UNSEEN_UI_FEATURES)}"] if theirs else []


@functools.cache
def playwright_disabled_features() -> list[str]:
    """The features Playwright's launcher disables (`disabledFeatures` of its chromiumSwitches),
    read from the installed driver; [] if this Playwright keeps them elsewhere."""
    import playwright

    for relative in PLAYWRIGHT_SWITCHES:
        source = Path(playwright.__file__).parent / relative
        found = re.search(r"disabledFeatures = \[(.*?)\]", source.read_text()
                          if source.is_file() else "", re.DOTALL)
        if found:
            code = re.sub(r"//[^\n]*", "", found.group(1))
            return re.findall(r"[\"']([\w.-]+)[\"']", code)
    return []


def log_in(context, base_url: str, cookies) -> None:
    """Carry an API session's cookies into a browser context (same origin)."""
    context.add_cookies([{"name": c.name, "value": c.value, "url": base_url} for c in cookies])


class MeetingPage:
    """The live meeting page (app/mina/static/live.js) in one browser tab."""

    def __init__(self, page: Page, url: str):
        self.page, self.url = page, url
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(url, wait_until="commit")  # the rest loads while other pages open (worker_pid)

    def status(self) -> str:
        return self.page.locator("#connection").inner_text().strip()

    def worker_pid(self) -> int:
        """Wait until the page has joined the meeting; return the worker its socket is on."""
        expect(self.page.locator("#connection"), "the page never joined the meeting").to_have_text(
            CONNECTED, timeout=PAGE_TIMEOUT_MS)
        return int(CONNECTED.match(self.status()).group(1))

    def wait_for_status(self, text: str) -> None:
        """Wait until the page's connection line says text (e.g. a refused chunk's message)."""
        expect(self.page.locator("#connection"), f"the page never said {text!r}").to_contain_text(
            text, timeout=PAGE_TIMEOUT_MS)

    def reconnect(self) -> None:
        self.page.reload(wait_until="commit")

    def record_a_chunk(self) -> None:
        """Press record, let the microphone run briefly, press stop: the page sends its audio."""
        button = self.page.locator("#record")
        button.click()
        self.page.wait_for_selector("#record[aria-pressed=true]")
        self.page.wait_for_timeout(RECORD_S * 1000)
        button.click()
        self.page.wait_for_selector("#record[aria-pressed=false]")

    def segments(self) -> list[tuple[int, str]]:
        """The transcript as shown: (seq, text) per list item."""
        return [tuple(item) for item in self.page.eval_on_selector_all(
            "#transcript li", "items => items.map(li => [Number(li.dataset.seq), li.textContent])")]

    def wait_for_segments(self, count: int, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
        """Wait until the transcript shows at least `count` segments."""
        try:
            self.page.wait_for_function("n => document.querySelectorAll('#transcript li').length >= n",
                                        arg=count, timeout=timeout_ms)
        except PlaywrightTimeout:
            raise AssertionError(f"{len(self.segments())} of {count} segments shown after "
                                 f"{timeout_ms / 1000:.0f} s; status: {self.status()!r}") from None


def pages_on_two_workers(open_page, hold, attempts: int = 8) -> tuple[MeetingPage, MeetingPage]:
    """Open two meeting pages whose sockets sit on different gunicorn workers (bounded retries).

    Both pages load at once. On an idle machine the kernel tends to hand every new connection to
    the same waiting worker, so a second page that joined the first one's worker reloads while
    `hold(pid)` keeps that worker busy (clients.Api.holding_worker), as real traffic would.
    """
    first, second = open_page(), open_page()
    first_pid = first.worker_pid()
    if second.worker_pid() != first_pid:
        return first, second
    with hold(first_pid):
        for _ in range(attempts):
            second.reconnect()
            if second.worker_pid() != first_pid:
                return first, second
    raise AssertionError(f"{attempts + 1} page loads all joined on worker {first_pid}; "
                         "expected gunicorn's 2 workers to share them")


def with_axe(context):
    """Have axe-core in every page the context opens (the script, 0.6 MB, crosses from here to the
    browser once instead of once a page: ~0.3 s less per 5 pages here)."""
    context.add_init_script(Axe().axe_script)
    return context


def violations(page: Page, url: str) -> list[dict]:
    """Open url and return axe-core's WCAG 2.0/2.1 A/AA violations (with_axe or not)."""
    page.goto(url)
    if not page.evaluate("() => typeof axe === 'object'"):
        page.evaluate(Axe().axe_script)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => axe.run(options)", options)["violations"]


def describe(violations: list[dict]) -> str:
    """Summarise violations: rule, impact, how many nodes, the first target."""
    return "; ".join(f"{v['id']} ({v.get('impact')}, {len(v['nodes'])} node(s), e.g. "
                     f"{json.dumps(v['nodes'][0]['target']) if v['nodes'] else '?'})"
                     for v in violations)
