"""`refresh` from a second PostgreSQL container standing in for production: the app's migrated
schema (keys, indexes, sequences) holding the fixtures and planted PII, read by a role with
pg_read_all_data only. The replica ends with production's rows and none of the PII, the app's
migrations run on it, and production is unchanged."""
from __future__ import annotations

import io
import subprocess
from pathlib import Path

import psycopg
import pytest

from replica.data.dumps import leakcheck, policy as policy_module, refresh
from replica.data.db import load, reset
from replica.data import pgtools
from replica.data.fakes import STAGING_PASSWORD_HASH
from tests.integration.data.app_migrations import migrate
from tests.support.containers import PostgresContainer

ROOT = Path(__file__).resolve().parents[3]
SALT = b"integration-refresh-salt-0123"
PII = {"users": ("email", "victor.plant.5531@victim-corp.example"),
       "meetings": ("title", "Layoffs list for Q3, do not share 5531"),
       "transcript_segments": ("text", "my social security number is 078-05-5531")}


@pytest.fixture(scope="module")
def production(stale_containers_reaped, fixture_set):
    with PostgresContainer() as server:
        url = server.create_database("prod")
        migrate(url)
        load.load(url, fixture_set)
        for table, (column, value) in PII.items():
            server.psql(f"UPDATE public.{table} SET {column} = '{value}' WHERE id = 1", "prod")
        server.psql("CREATE ROLE reader LOGIN IN ROLE pg_read_all_data", "prod")
        yield server


def dump_of(url: str) -> bytes:
    return subprocess.run([pgtools.find("pg_dump"), "-d", url], check=True,
                          capture_output=True).stdout


def test_the_replica_gets_production_sanitized_migratable_and_production_is_unchanged(
        production, live_url):
    policy = policy_module.load(ROOT / "db" / "sanitize.yml")
    prod_url = production.url_for("prod")
    reader_url = f"postgresql://reader@127.0.0.1:{production.port}/prod"
    before = reset.fingerprint(prod_url)

    done = refresh.refresh(reader_url, live_url, policy, SALT)

    assert reset.fingerprint(prod_url) == before
    after = reset.fingerprint(live_url)
    assert {t: n for t, (n, _) in after.items()} == {t: n for t, (n, _) in before.items()}
    assert done.stats.rows["public.transcript_segments"] == before["transcript_segments"][0]
    replica_dump = dump_of(live_url)
    assert [value for _, value in PII.values() if value.encode() in replica_dump] == []
    report = leakcheck.check(io.BytesIO(dump_of(prod_url)), io.BytesIO(replica_dump), policy)
    assert report.sensitive > 0 and report.total_leaks == 0
    with psycopg.connect(live_url) as conn:  # every user logs in with the staging password
        assert conn.execute("SELECT count(*) FROM users WHERE password_hash = %s",
                            [STAGING_PASSWORD_HASH]).fetchone()[0] == before["users"][0]
    migrate(live_url)  # the runbook's next step works on the refreshed data
