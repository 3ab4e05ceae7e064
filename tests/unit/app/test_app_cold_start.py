"""Neon's scale-to-zero (the cold-start profile's db-proxy refusing with 57P03 while it wakes):
requests that arrive during a wake, and the migration, ride it out instead of failing."""
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.unit.db_proxy.conftest import db_proxy  # noqa: F401 (fixture)

COLD = {"DB_PROXY_COLD_START_MS": "600", "DB_PROXY_IDLE_S": "1", "DB_PROXY_COLD_START_MODE": "refuse"}
APP_DIR = Path(__file__).resolve().parents[3] / "app"


def through(proxy, url: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{proxy.port}/{url.rsplit('/', 1)[1]}"


def sleep_until_suspended(proxy_url: str) -> None:
    psycopg.connect(proxy_url).close()  # traffic starts the idle clock
    time.sleep(float(COLD["DB_PROXY_IDLE_S"]) + 0.8)


def test_requests_during_a_wake_are_answered_not_500(db_proxy, make_db_app, register,  # noqa: F811
                                                      migrated_url):
    with db_proxy(**COLD) as proxy:
        url = through(proxy, migrated_url)
        client = make_db_app(DATABASE_URL=url, USER_CACHE_SECONDS=0).test_client()
        register(client)
        meeting = client.post("/api/meetings", json={"title": "before the nap"}).json
        sleep_until_suspended(url)  # suspending also closes the app's pooled connections
        statuses = [client.get("/api/meetings").status_code,
                    client.get(f"/api/meetings/{meeting['id']}").status_code,
                    client.post("/api/meetings", json={"title": "after"}).status_code]
        log = proxy.log()
    assert statuses == [200, 200, 201], log
    assert "refused: cold start" in log  # the wake really was met, and ridden out


def test_the_migration_rides_out_a_wake(db_proxy, database_url):  # noqa: F811
    with db_proxy(**COLD) as proxy:
        url = through(proxy, database_url)
        sleep_until_suspended(url)
        env = {**os.environ, "FLASK_ENV": "development", "SECRET_KEY": "dev", "DATABASE_URL": url}
        upgrade = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "main", "db",
                                  "upgrade"], cwd=APP_DIR, env=env, capture_output=True,
                                 text=True, timeout=120)
        log = proxy.log()
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
    assert "refused: cold start" in log
