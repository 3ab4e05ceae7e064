"""A real `pg_dump --statistics` (PostgreSQL 18) with real values in its statistics and schema
statements: sanitized (plain and -Fc), nothing sensitive is copied except into schema code, which
the leak check names; the sanitized dump loads."""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from replica.data.dumps import archives as dumps, leakcheck, loaddump, policy as policy_module
from replica.data import pgtools
from replica.data.db import reset
from replica.data.dumps.sanitize import sanitize_file

ROOT = Path(__file__).resolve().parents[3]
SALT = b"integration-salt-0123456789"


@pytest.fixture
def planted(live_url, fixture_set):
    """The fixtures, analyzed, with real values of users in a comment, a default, a view and a
    user mapping's password."""
    reset.seed(live_url, fixture_set)
    with psycopg.connect(live_url, autocommit=True) as conn:
        email, name, login = conn.execute(
            "SELECT email, display_name, username FROM users WHERE display_name IS NOT NULL "
            "ORDER BY id LIMIT 1").fetchone()
        literal = lambda value: conn.execute("SELECT quote_literal(%s)", [value]).fetchone()[0]
        conn.execute(f"COMMENT ON TABLE users IS {literal('owner: ' + email)}")
        conn.execute(f"ALTER TABLE users ALTER COLUMN display_name SET DEFAULT {literal(name)}")
        conn.execute(f"CREATE VIEW vip AS SELECT id FROM users WHERE username = {literal(login)}")
        conn.execute("CREATE FOREIGN DATA WRAPPER dummy")
        conn.execute("CREATE SERVER prod FOREIGN DATA WRAPPER dummy")
        conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER prod OPTIONS (password "
                     f"{literal('pw-' + email)})")
        conn.execute("ANALYZE")
        values = {v for row in conn.execute("SELECT email, username, display_name FROM users")
                  for v in row if v and len(v) >= 8}
    return live_url, values, login


@pytest.mark.parametrize("archive", [False, True], ids=["plain", "custom"])
def test_a_statistics_dump_sanitized_copies_real_values_only_into_code_the_leak_check_names(
        planted, postgres_server, tmp_path, archive):
    url, values, login = planted
    policy = policy_module.load(ROOT / "db" / "sanitize.yml")
    original = tmp_path / ("prod.dump" if archive else "prod.sql")
    subprocess.run([pgtools.find("pg_dump"), "--statistics", *(["-Fc"] if archive else []),
                    "-f", str(original), url], check=True)
    with dumps.open_plain(original) as stream:
        text = stream.read().decode()
    assert "pg_restore_attribute_stats" in text and any(v in text for v in values)
    with dumps.open_plain(original) as src, dumps.open_plain(original) as out:
        unsanitized = leakcheck.check(src, out, policy)
    assert unsanitized.by_column.get("the statistics statement", 0) > 0

    safe = tmp_path / "safe.sql"
    stats = sanitize_file(original, safe, policy, SALT)
    assert stats.dropped["statistics"] > 0 and stats.dropped["comment on"] == 1
    assert stats.dropped["create user mapping"] == 1
    output = safe.read_text()
    assert "pg_restore_relation_stats" in output  # counts are kept
    lines_with_values = {line for line in output.splitlines() for v in values if v in line}
    assert len(lines_with_values) == 1  # the view's WHERE: schema code, copied as written
    assert all("WHERE" in line and login in line for line in lines_with_values)
    with dumps.open_plain(original) as src, open(safe, "rb") as out:
        report = leakcheck.check(src, out, policy)
    assert report.by_column == {"the create view statement": 1}

    target = postgres_server.create_database(f"stats_{int(archive)}")
    try:
        loaddump.load_dump(target, safe)
        count = "SELECT count(*) FROM users"
        with psycopg.connect(target) as loaded, psycopg.connect(url) as before:
            assert loaded.execute(count).fetchone() == before.execute(count).fetchone()
    finally:
        postgres_server.drop_database(f"stats_{int(archive)}")
