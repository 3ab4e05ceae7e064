"""A local stand-in for a Slack incoming webhook, run as a child process (not a thread: once a test
module has imported eventlet, a server thread in the pytest process never answers).

    with WebhookReceiver() as receiver:
        requests.post(receiver.url, json={"text": "hi"})
        receiver.next_post()   # {"path": "/services/T/B/X", "content_type": "application/json", "body": {...}}

`SilentWebhook` accepts connections and never answers (a listening socket nobody accepts from:
the kernel completes the handshake, the request waits forever).
"""
from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading

SECRET_PATH = "/services/T0000/B0000/not-a-real-secret-0123456789"


class WebhookReceiver:
    """Answer 200 `ok` to every POST, as Slack does, and hand each one back to the test."""

    def __init__(self, status: int = 200):
        self.status = status
        self.posts: queue.Queue = queue.Queue()

    def __enter__(self) -> "WebhookReceiver":
        self.proc = subprocess.Popen([sys.executable, "-u", __file__, str(self.status)],
                                     stdout=subprocess.PIPE, text=True)
        port = int(self.proc.stdout.readline().split()[1])
        self.url = f"http://127.0.0.1:{port}{SECRET_PATH}"
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.posts.put(json.loads(line))

    def next_post(self, timeout: float = 10.0) -> dict:
        return self.posts.get(timeout=timeout)

    def received_nothing(self) -> bool:
        return self.posts.empty()

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()


class SilentWebhook:
    """A webhook URL whose server never answers."""

    def __enter__(self) -> "SilentWebhook":
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}{SECRET_PATH}"
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()


def _serve(status: int) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            print(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                              "body": json.loads(body or b"null")}), flush=True)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
