"""Run the app under staging's gunicorn command (eventlet, --reload, ...) on a loopback port.

    with StagingGunicorn({"DATABASE_URL": url, ...}) as server:
        requests.get(server.url + "/health")
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from replica.stack import declared
from .ports import free_port

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "app"
GUNICORN = Path(sys.executable).parent / "gunicorn"


def staging_command(port: int, workers: int = 2) -> list[str]:
    """Staging's command (staging.declared.yml), bound to 127.0.0.1:port, with `workers` workers."""
    words = declared.app_command(REPO).split()
    if words[0] != "gunicorn":
        raise ValueError(f"staging's command does not start with gunicorn: {words[0]}")
    return [str(GUNICORN), *_with(_with(words[1:], "--bind", f"127.0.0.1:{port}"),
                                  "--workers", str(workers))]


def _with(words: list[str], flag: str, value: str) -> list[str]:
    """words with flag's value replaced (staging's command names every flag once)."""
    at = words.index(flag)
    return [*words[:at + 1], value, *words[at + 2:]]


class StagingGunicorn:
    """Start gunicorn in app/ with the given environment; wait for /health; stop on exit."""

    def __init__(self, env: dict[str, str], workers: int = 2, command=staging_command):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = command(self.port, workers)
        self.env = {"PATH": os.environ.get("PATH", ""), "FLASK_ENV": "staging", **env}
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> "StagingGunicorn":
        self.proc = subprocess.Popen(self.cmd, cwd=APP_DIR, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.proc.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise TimeoutError(f"gunicorn not healthy after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.unlink(self.log.name)

    def __enter__(self) -> "StagingGunicorn":
        try:
            return self.start()
        except Exception:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
