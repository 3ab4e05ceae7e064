"""mocks/openai_mock served in-process on a loopback port: the project's one OpenAI fake, for the app.

    with MockOpenAI(api_key="sk-test") as ai:   # ai.base_url == "http://127.0.0.1:PORT/v1"
        control.set_openai_faults(ai.url, sequence=["429"])     # script it (mocks/README.md)
        ai.transcripts()                                        # what it answered, oldest first

It accepts only `api_key`, so a call that succeeds shows the app sent that key as its bearer.
"""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import uvicorn

from mocks import control
from mocks.openai_mock import Settings, create_app


@contextmanager
def serve(app):
    """Serve an ASGI app on 127.0.0.1 in a background thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the mock did not start within 10 s"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class MockOpenAI:
    """One in-process mock-openai; `reset()` empties its journal and faults."""

    def __init__(self, api_key: str = "sk-test"):
        self.api_key = api_key
        self._serving = serve(create_app(Settings(api_keys=frozenset({api_key}))))
        self.url = ""

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def reset(self) -> None:
        control.clear_openai_faults(self.url)
        control.clear_openai_journal(self.url)

    def journal(self, path: str | None = None) -> list[dict]:
        return control.openai_journal(self.url, path=path)

    def transcripts(self) -> list[str]:
        """The text of each transcription the mock answered (status 200), oldest first."""
        return [entry["response"]["text"] for entry in self.journal("/v1/audio/transcriptions")
                if entry["status"] == 200]

    def __enter__(self) -> "MockOpenAI":
        self.url = self._serving.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._serving.__exit__(*exc)
