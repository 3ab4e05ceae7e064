"""Real pg_dump output through the sanitizer and back; snapshots; failures keep the live data."""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from replica.data.dumps import archives as dumps, leakcheck, loaddump, policy as policy_module
from replica.data import pgtools
from replica.data.db import reset, snapshots
from replica.data.errors import DumpVersionError, SnapshotError, TruncatedDumpError
from replica.data.dumps.sanitize import sanitize_file

ROOT = Path(__file__).resolve().parents[3]
SALT = b"integration-salt-0123456789"


@pytest.fixture
def seeded(live_url, fixture_set):
    reset.seed(live_url, fixture_set)
    return live_url


@pytest.fixture
def policy():
    return policy_module.load(ROOT / "db" / "sanitize.yml")


def pg_dump(url: str, path: Path, *options: str) -> Path:
    subprocess.run([pgtools.find("pg_dump"), *options, "-f", str(path), url], check=True)
    return path


@pytest.mark.parametrize("options", [(), ("-Fc",), ("--column-inserts", "--rows-per-insert=50")])
def test_a_sanitized_real_dump_loads_with_every_constraint_and_leaks_nothing(
        seeded, postgres_server, tmp_path, policy, options):
    original = pg_dump(seeded, tmp_path / "prod.dump", *options)
    safe = tmp_path / "safe.sql"
    stats = sanitize_file(original, safe, policy, SALT)
    assert stats.rows["public.transcript_segments"] > 0
    target = postgres_server.create_database(f"sanitized_{len(options)}")
    try:
        loaddump.load_dump(target, safe)  # unique emails, foreign keys, checks: all enforced
        before, after = reset.fingerprint(seeded), reset.fingerprint(target)
        assert {t: c for t, (c, _) in before.items()} == {t: c for t, (c, _) in after.items()}
        with dumps.open_plain(original) as src, open(safe, "rb") as out:
            report = leakcheck.check(src, out, policy)
        assert report.total_leaks == 0 and report.sensitive > 0
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM users u JOIN meetings m ON m.owner_id = u.id"
                                ).fetchone()[0] == before["meetings"][0]
    finally:
        postgres_server.drop_database(f"sanitized_{len(options)}")


def test_the_leak_check_finds_values_copied_through(seeded, tmp_path, policy):
    original = pg_dump(seeded, tmp_path / "prod.sql")
    with open(original, "rb") as src, open(original, "rb") as out:
        report = leakcheck.check(src, out, policy)
    assert report.total_leaks > 0
    assert report.by_column["public.users.email"] == reset.fingerprint(seeded)["users"][0]


def test_a_truncated_dump_is_refused_and_the_live_database_is_intact(seeded, tmp_path):
    before = reset.fingerprint(seeded)
    full = pg_dump(seeded, tmp_path / "full.sql").read_bytes()
    cut = tmp_path / "cut.sql"
    cut.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(TruncatedDumpError):
        loaddump.load_dump(seeded, cut)
    assert reset.fingerprint(seeded) == before


def test_a_truncated_custom_archive_is_refused_and_the_live_database_is_intact(seeded, tmp_path):
    before = reset.fingerprint(seeded)
    full = pg_dump(seeded, tmp_path / "full.dump", "-Fc").read_bytes()
    cut = tmp_path / "cut.dump"
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(TruncatedDumpError, match="corrupt or truncated archive"):
        loaddump.load_dump(seeded, cut)
    assert reset.fingerprint(seeded) == before


def test_a_dump_from_a_newer_postgresql_is_refused_before_anything_changes(seeded, tmp_path):
    before = reset.fingerprint(seeded)
    text = pg_dump(seeded, tmp_path / "x.sql").read_text()
    newer = tmp_path / "pg19.sql"
    newer.write_text(text.replace("-- Dumped by pg_dump version 18", "-- Dumped by pg_dump version 19"))
    with pytest.raises(DumpVersionError, match="pg_dump 19"):
        loaddump.load_dump(seeded, newer)
    assert reset.fingerprint(seeded) == before


def test_load_dump_replaces_the_database_with_the_dump(seeded, tmp_path):
    dump = pg_dump(seeded, tmp_path / "x.dump", "-Fc")
    expected = reset.fingerprint(seeded)
    with psycopg.connect(seeded) as conn:
        conn.execute("DELETE FROM transcript_segments")
    loaddump.load_dump(seeded, dump)
    assert reset.fingerprint(seeded) == expected


def test_snapshot_restore_and_list(seeded):
    snapshots.take(seeded, "before-change")
    expected = reset.fingerprint(seeded)
    with psycopg.connect(seeded) as conn:
        conn.execute("DELETE FROM meetings")
    found = {s.name: s for s in snapshots.listing(seeded)}
    assert found["before-change"].size > 0 and 0 <= found["before-change"].age() < 120
    snapshots.restore(seeded, "before-change")
    assert reset.fingerprint(seeded) == expected
    with pytest.raises(SnapshotError, match="already exists"):
        snapshots.take(seeded, "before-change")
    snapshots.take(seeded, "before-change", replace=True)


def test_ids_continue_across_a_snapshot_restore(seeded):
    snapshots.take(seeded, "ids")
    with psycopg.connect(seeded) as conn:
        used = conn.execute("INSERT INTO users (email, username, password_hash) VALUES "
                            "('u@example.com', 'used_id', 'x') RETURNING id").fetchone()[0]
    snapshots.restore(seeded, "ids")
    with psycopg.connect(seeded) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE id = %s", [used]).fetchone()[0] == 0
        assert conn.execute("INSERT INTO users (email, username, password_hash) VALUES "
                            "('v@example.com', 'next_id', 'x') RETURNING id").fetchone()[0] > used


def test_restoring_an_unknown_snapshot_names_the_known_ones(seeded):
    snapshots.take(seeded, "known")
    with pytest.raises(SnapshotError, match=r"no snapshot named 'nope' \(known: known\)"):
        snapshots.restore(seeded, "nope")


def test_a_restore_that_fails_midway_leaves_the_previous_database_intact(seeded, postgres_server):
    snapshots.take(seeded, "busy")
    with psycopg.connect(seeded) as conn:
        conn.execute("DELETE FROM summaries")
    before = reset.fingerprint(seeded)
    source = snapshots.database_for(psycopg.conninfo.conninfo_to_dict(seeded)["dbname"], "busy")
    postgres_server.psql(f'ALTER DATABASE "{source}" ALLOW_CONNECTIONS true')
    blocker = psycopg.connect(postgres_server.url_for(source))  # copying it is now impossible
    try:
        with pytest.raises(Exception, match="being accessed by other users"):
            snapshots.restore(seeded, "busy")
    finally:
        blocker.close()
    assert reset.fingerprint(seeded) == before


@pytest.mark.parametrize("name", ["../etc", "a/b", "x.y", "", "Upper", "a" * 41, "sp ace"])
def test_snapshot_names_with_path_characters_are_refused(seeded, name):
    with pytest.raises(SnapshotError, match="is not allowed"):
        snapshots.take(seeded, name)
