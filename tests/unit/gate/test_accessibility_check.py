"""The accessibility check can fail: axe-core in headless Chromium flags a page with real violations."""
import http.server
import threading

import pytest

from tests.e2e.browser import describe, launch_args, violations

BAD_PAGE = b"""<!doctype html><html><head><title>bad</title></head><body>
<img src="chart.png"><form><input type="text" name="q"></form></body></html>"""
GOOD_PAGE = b"""<!doctype html><html lang="en"><head><title>good</title></head><body><main>
<h1>Meetings</h1><img src="chart.png" alt="Chart of meetings per week">
<form><label for="q">Search</label><input id="q" type="text" name="q"></form></main></body></html>"""


@pytest.fixture(scope="module")
def pages():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = BAD_PAGE if self.path == "/bad" else GOOD_PAGE
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    try:
        return {**browser_type_launch_args, **launch_args()}
    except FileNotFoundError as missing:
        pytest.skip(str(missing))


def test_violations_are_found_and_named(pages, page):
    found = violations(page, f"{pages}/bad")
    rules = {v["id"] for v in found}
    assert {"image-alt", "label", "html-has-lang"} <= rules
    assert "image-alt" in describe(found)


def test_a_clean_page_has_none(pages, page):
    assert violations(page, f"{pages}/good") == []
