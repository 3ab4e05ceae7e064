"""Fixtures of the gate's unit tests: recorded k6 summaries (small JSON files next to the tests)."""
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def summary():
    """Load a recorded k6 --summary-export file by name."""
    return lambda name: json.loads((FIXTURES / f"summary_{name}.json").read_text())


@pytest.fixture
def live_app():
    """A tiny HTTP server standing in for the app: /login sets a cookie; /console may be a debugger."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = type("LiveApp", (), {})()
    state.cookie = "session=abc; HttpOnly; Path=/; SameSite=Lax"
    state.debugger = False

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            debugger = state.debugger and self.path.startswith(("/console", "/?__debugger__"))
            self.send_response(200 if self.path == "/login" or debugger else 404)
            if self.path == "/login":
                self.send_header("Set-Cookie", "remember=1; Path=/")
                self.send_header("Set-Cookie", state.cookie)
            body = b"<title>Werkzeug Debugger</title>" if debugger else b"<html>page</html>"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
