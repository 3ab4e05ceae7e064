"""The app's PostgreSQL fan-out checks its LISTEN: it hears itself directly, reports "lost" pooled.

Each check runs the listener in its own process (it blocks on LISTEN for good behind a pooler).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LISTENER = """
import sys, threading, time
from mina import fanout
fanout.CHECK_TIMEOUT_S = 2.0
manager = fanout.PostgresManager(sys.argv[1])
threading.Thread(target=lambda: [None for _ in manager._listen()], daemon=True).start()
deadline = time.monotonic() + 20
while manager.listen_status == "pending" and time.monotonic() < deadline:
    time.sleep(0.05)
print(manager.listen_status)
"""


def listen_status(url: str) -> tuple[str, str]:
    """Return the listener's status after its check, and what it logged."""
    done = subprocess.run([sys.executable, "-c", LISTENER, url], capture_output=True, text=True,
                          timeout=60, cwd=ROOT / "app",
                          env={**os.environ, "PYTHONPATH": str(ROOT / "app")})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), done.stderr


def test_the_listener_hears_its_own_notify_on_a_direct_connection(postgres_url):
    assert listen_status(postgres_url)[0] == "ok"


@pytest.mark.stack
def test_the_listener_reports_lost_broadcasts_behind_the_pooler(pgbouncer):
    with pgbouncer() as url:
        status, logged = listen_status(url)
    assert status == "lost"
    assert "DATABASE_DIRECT_URL" in logged and "LOST" in logged
