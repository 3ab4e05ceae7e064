"""Profiles combined: `tls` + `pooled` route the app through db-proxy (TLS) and then PgBouncer."""
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def db_proxy_in_front_of(url: str, **env: str):
    """Run `python -m mocks.db_proxy` towards the URL's host:port; yield the URL through it."""
    parts, port = urlsplit(url), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mocks.db_proxy", "--listen", f"127.0.0.1:{port}",
         "--upstream", f"127.0.0.1:{parts.port}"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc=proc)
        yield url.replace(f":{parts.port}/", f":{port}/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tls_and_pooled_together(pgbouncer):
    with pgbouncer(PGBOUNCER_DEFAULT_POOL_SIZE="1") as pooled:
        with db_proxy_in_front_of(pooled, DB_PROXY_TLS="require") as url:
            tls_url = url + "&sslmode=require"
            with psycopg.connect(tls_url, autocommit=True, prepare_threshold=0) as a, \
                    psycopg.connect(tls_url, autocommit=True, prepare_threshold=0) as b:
                assert a.pgconn.ssl_in_use and b.pgconn.ssl_in_use
                for value in range(5):
                    assert a.execute("SELECT %s::int", (value,)).fetchone() == (value,)
                    assert b.execute("SELECT %s::int", (-value,)).fetchone() == (-value,)
                # one server connection serves both clients: the pooler really is in the path
                pids = {conn.execute("SELECT pg_backend_pid()").fetchone()[0] for conn in (a, b)}
            assert len(pids) == 1
            with pytest.raises(psycopg.OperationalError, match="sslmode=require"):
                psycopg.connect(url + "&sslmode=disable")
