"""Headless Chromium (Debian's chromium + chromium-driver) and axe-core, with no browser downloads.

Speaks W3C WebDriver to chromedriver over HTTP with `requests` instead of Selenium: Selenium pulls
in trio, and trio in the shared virtualenv breaks the app's OpenAI client under eventlet.
axe-core (v4.4) comes from the PyPI package axe-core-python, which has no dependencies.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

# Debian's packages by default; CI runners with their own Chrome set CHROMIUM_BINARY/CHROMEDRIVER_BINARY.
CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER_BINARY", "/usr/bin/chromedriver"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1280,900"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
START_TIMEOUT_S = 20
CALL_TIMEOUT_S = 40


def axe_script() -> Path | None:
    """Return axe.min.js shipped inside the axe-core-python package (not imported), or None."""
    spec = importlib.util.find_spec("axe_core_python")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "axe.min.js"
    return path if path.is_file() else None


def missing_browser() -> str | None:
    """Say what is missing for the accessibility checks, or None when everything is there."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.is_file():
            return f"{path} is missing: apt-get install -y chromium chromium-driver"
    if axe_script() is None:
        return "axe-core is missing: pip install axe-core-python==0.1.0"
    return None


class Browser:
    """One headless Chromium session with a fresh profile, driven through chromedriver."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="smoke-chromium-")
        port = _free_port()
        self.driver = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = f"http://127.0.0.1:{port}"
        self.session = None
        _wait_ready(self.endpoint)
        options = {"binary": str(CHROMIUM), "args": [*FLAGS, f"--user-data-dir={self.profile}"]}
        created = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options,
            "timeouts": {"pageLoad": 20000, "script": 30000}}}}, in_session=False)
        self.session = created["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None, in_session: bool = True):
        url = self.endpoint + (f"/session/{self.session}" if in_session else "") + path
        response = requests.request(method, url, json=body if body is not None else
                                    ({} if method == "POST" else None), timeout=CALL_TIMEOUT_S)
        value = response.json().get("value")
        if response.status_code >= 400:
            raise RuntimeError(f"webdriver {method} {path}: {value.get('error')}: "
                               f"{value.get('message', '')[:300]}")
        return value

    def open(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def log_in_with(self, base_url: str, cookies) -> None:
        """Carry an API session's cookies into the browser (same origin)."""
        self.open(f"{base_url}/health")
        for cookie in cookies:
            self._call("POST", "/cookie", {"cookie": {"name": cookie.name, "value": cookie.value,
                                                      "path": "/"}})

    def clear_cookies(self) -> None:
        self._call("DELETE", "/cookie")

    def violations(self, url: str) -> list[dict]:
        """Open url and return axe-core's WCAG 2.0/2.1 A/AA violations."""
        self.open(url)
        self._call("POST", "/execute/sync", {"script": axe_script().read_text(), "args": []})
        script = ("const done = arguments[arguments.length - 1];"
                  "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
                  ".then(r => done({violations: r.violations}), e => done({error: String(e)}));")
        result = self._call("POST", "/execute/async", {"script": script, "args": [AXE_TAGS]})
        if "error" in result:
            raise RuntimeError(f"axe-core failed on {url}: {result['error']}")
        return result["violations"]

    def close(self) -> None:
        try:
            if self.session:
                self._call("DELETE", "")
        except (requests.RequestException, RuntimeError):
            pass
        finally:
            self.driver.terminate()
            try:
                self.driver.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def describe(violations: list[dict]) -> str:
    """Summarise violations: rule, impact, how many nodes, the first target."""
    return "; ".join(f"{v['id']} ({v.get('impact')}, {len(v['nodes'])} node(s), e.g. "
                     f"{json.dumps(v['nodes'][0]['target']) if v['nodes'] else '?'})"
                     for v in violations)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{endpoint}/status", timeout=2).json()["value"]["ready"]:
                return
        except (requests.RequestException, ValueError, KeyError):
            time.sleep(0.1)
    raise RuntimeError(f"chromedriver did not start within {START_TIMEOUT_S} s")
