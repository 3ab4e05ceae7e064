"""Headless Chromium through Playwright: the meeting page as a user drives it, and axe-core.

The browser is Debian's chromium (`playwright install` downloads browsers, which this project never
does); its fake microphone gives the page's MediaRecorder real audio to record.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
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
RECORD_S = 1.0  # long enough for MediaRecorder to hand over a non-empty chunk


def launch_args() -> dict:
    """Playwright launch options for Debian's chromium; fail with the install hint if it is missing."""
    if not CHROMIUM.is_file():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install -y chromium "
                                "(or set CHROMIUM_BINARY)")
    return {"executable_path": str(CHROMIUM), "args": FLAGS}


def log_in(context, base_url: str, cookies) -> None:
    """Carry an API session's cookies into a browser context (same origin)."""
    context.add_cookies([{"name": c.name, "value": c.value, "url": base_url} for c in cookies])


class MeetingPage:
    """The live meeting page (app/mina/static/live.js) in one browser tab."""

    def __init__(self, page: Page, url: str):
        self.page, self.url = page, url
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(url)

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
        self.page.reload()

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


def pages_on_two_workers(open_page, busy, attempts: int = 16) -> tuple[MeetingPage, MeetingPage]:
    """Open two meeting pages whose sockets sit on different gunicorn workers (bounded retries).

    On an idle machine the kernel tends to hand every new connection to the same waiting worker.
    `busy` (a blocking call that keeps a worker's CPU busy for ~0.1 s) runs beside each reconnect
    of the second page, as real traffic would, so the other worker gets to accept.
    """
    first, second = open_page(), open_page()
    first_pid, pids = first.worker_pid(), set()
    for _ in range(attempts):
        pid = second.worker_pid()
        if pid != first_pid:
            return first, second
        pids.add(pid)
        helpers = [threading.Thread(target=busy) for _ in range(2)]
        for helper in helpers:
            helper.start()
        time.sleep(0.03)  # the login is being hashed now
        second.reconnect()
        for helper in helpers:
            helper.join()
    raise AssertionError(f"{attempts} page loads all joined on worker(s) {pids | {first_pid}}; "
                         "expected gunicorn's 2 workers to share them")


def violations(page: Page, url: str) -> list[dict]:
    """Open url and return axe-core's WCAG 2.0/2.1 A/AA violations."""
    page.goto(url)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                       "resultTypes": ["violations"]})
    return results.response["violations"]


def describe(violations: list[dict]) -> str:
    """Summarise violations: rule, impact, how many nodes, the first target."""
    return "; ".join(f"{v['id']} ({v.get('impact')}, {len(v['nodes'])} node(s), e.g. "
                     f"{json.dumps(v['nodes'][0]['target']) if v['nodes'] else '?'})"
                     for v in violations)
