"""`flask --app main db upgrade` from app/, as the runbook runs it."""
import os
import subprocess
import sys
from pathlib import Path

import psycopg

APP_DIR = Path(__file__).resolve().parents[3] / "app"
FLASK = str(Path(sys.executable).parent / "flask")


def flask_db(database_url, *args):
    env = {**os.environ, "FLASK_ENV": "development", "SECRET_KEY": "dev",
           "DATABASE_URL": database_url}
    return subprocess.run([FLASK, "--app", "main", "db", *args], cwd=APP_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_upgrade_creates_schema_and_check_finds_no_drift(database_url):
    assert flask_db(database_url, "upgrade").returncode == 0
    with psycopg.connect(database_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert {"users", "meetings", "transcript_segments", "summaries", "idempotency_keys"} <= tables
    assert version == "0002"  # the newest revision in db/migrations
    check = flask_db(database_url, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_downgrade_to_base_and_back(database_url):
    assert flask_db(database_url, "upgrade").returncode == 0
    assert flask_db(database_url, "downgrade", "base").returncode == 0
    assert flask_db(database_url, "upgrade").returncode == 0
