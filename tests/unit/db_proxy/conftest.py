"""db-proxy as users run it: `python -m mocks.db_proxy` in a subprocess, in front of the test PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class RunningProxy:
    port: int
    proc: subprocess.Popen
    database: str

    def url(self, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"connect_timeout": "5", **params}.items())
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}?{query}"

    def log(self) -> str:
        """Stop the proxy and return everything it printed."""
        self.proc.terminate()
        return self.proc.communicate(timeout=10)[0]


@pytest.fixture
def db_proxy(postgres_server):
    """Factory: `with db_proxy(DB_PROXY_LATENCY_MS="100") as proxy:` runs a proxy to the test server."""

    @contextmanager
    def start(upstream_port: int | None = None, **env: str):
        port = free_port()
        full_env = {**os.environ, "DB_PROXY_LISTEN": f"127.0.0.1:{port}",
                    "DB_PROXY_UPSTREAM": f"127.0.0.1:{upstream_port or postgres_server.port}", **env}
        proc = subprocess.Popen([sys.executable, "-m", "mocks.db_proxy"], cwd=ROOT, env=full_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_port(port, proc=proc)  # a bare TCP connect: a probe, like the healthcheck
            yield RunningProxy(port, proc, "postgres")
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    return start
