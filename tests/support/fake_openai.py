"""A tiny in-process stand-in for the OpenAI HTTP API, with real response shapes.

    with FakeOpenAI() as ai:          # ai.base_url == "http://127.0.0.1:PORT/v1"
        ai.fail_next(429, times=1)    # next call gets a rate-limit error
        ai.delay_next(2.0)            # next call answers after 2 s (client timeouts)

Transcriptions echo the uploaded audio when it is UTF-8 text, so tests can send b"hello".
"""
from __future__ import annotations

import json
import threading
import time
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERRORS = {
    429: ("Rate limit reached for gpt-4o-mini on requests per min (RPM).", "requests",
          "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
}


class FakeOpenAI:
    """Serve /v1/chat/completions and /v1/audio/transcriptions on a loopback port."""

    def __init__(self):
        self.calls: list[dict] = []
        self._faults: list[tuple[str, float | int]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def fail_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._faults += [("status", status)] * times

    def delay_next(self, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._faults += [("delay", seconds)] * times

    def _next_fault(self):
        with self._lock:
            return self._faults.pop(0) if self._faults else (None, None)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.calls.append({"path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}})
                kind, value = fake._next_fault()
                if kind == "delay":
                    time.sleep(value)
                if kind == "status":
                    return self._error(int(value))
                if self.path.endswith("/chat/completions"):
                    return self._send(200, chat_completion(json.loads(body)))
                if self.path.endswith("/audio/transcriptions"):
                    return self._send(200, {"text": transcription_text(self.headers, body)})
                self._send(404, {"error": {"message": "Unknown path", "type": "invalid_request_error",
                                           "param": None, "code": None}})

            def _error(self, status):
                message, kind, code = ERRORS.get(status, ERRORS[500])
                headers = {"retry-after": "1"} if status == 429 else {}
                self._send(status, {"error": {"message": message, "type": kind,
                                              "param": None, "code": code}}, headers)

            def _send(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)
        return Handler

    def __enter__(self) -> "FakeOpenAI":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def chat_completion(request: dict) -> dict:
    """Return a chat.completion object like the real API's."""
    prompt = " ".join(str(m.get("content", "")) for m in request.get("messages", []))
    content = f"Summary: {len(prompt.split())} words discussed."
    return {"id": "chatcmpl-fake123", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "gpt-4o-mini") + "-2024-07-18",
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                                 "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 6,
                      "total_tokens": len(prompt.split()) + 6}}


def transcription_text(headers, body: bytes) -> str:
    """Return the uploaded file's bytes as text (or a byte count if not UTF-8)."""
    message = BytesParser().parsebytes(
        f"Content-Type: {headers.get('Content-Type')}\r\n\r\n".encode() + body)
    for part in message.get_payload() if message.is_multipart() else []:
        if part.get_param("name", header="content-disposition") == "file":
            audio = part.get_payload(decode=True) or b""
            try:
                return audio.decode("utf-8")
            except UnicodeDecodeError:
                return f"[{len(audio)} bytes of audio]"
    return ""
