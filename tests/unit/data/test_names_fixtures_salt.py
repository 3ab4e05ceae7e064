"""Snapshot names, fixture generation and caching, the salt, and the fakes' guarantees."""
from __future__ import annotations

import csv
import os
import stat

import pytest

from replica.data.db import fixtures, snapshots
from replica.data.dumps import salt
from replica.data.errors import FixtureError, PolicyError, SnapshotError
from replica.data.fakes import STAGING_PASSWORD, STAGING_PASSWORD_HASH, Fakes


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "a\\b", "x.y", "", " ", "Upper",
                                  "-dash-first", "a" * 41, "nul\x00", "semi;colon", "quo\"te",
                                  "snap\n"])
def test_snapshot_names_with_path_or_sql_characters_are_refused(name):
    with pytest.raises(SnapshotError, match="is not allowed") as error:
        snapshots.validate(name)
    assert "path characters" in error.value.hint


@pytest.mark.parametrize("name", ["before-migration", "v1_2", "a", "0" * 40])
def test_plain_snapshot_names_are_accepted(name):
    assert snapshots.validate(name) == name
    assert len(snapshots.database_for("mina_staging", name)) <= 63  # PostgreSQL's limit


@pytest.mark.parametrize("scale, users", [("small", 50), ("default", 1000), ("prod", 20000),
                                          ("250", 250), (7, 7)])
def test_scales_name_a_number_of_users(scale, users):
    assert fixtures.users_for(scale) == users


@pytest.mark.parametrize("scale", ["huge", "-1", "0", 10**9])
def test_unknown_or_out_of_range_scales_are_refused(scale):
    with pytest.raises(FixtureError):
        fixtures.users_for(scale)


def test_fixtures_are_deterministic_and_cached(tmp_path):
    first = fixtures.ensure(tmp_path / "a", 20)
    second = fixtures.ensure(tmp_path / "b", 20)
    for (table, path_a, _), (_, path_b, _) in zip(first.tables, second.tables):
        assert path_a.read_bytes() == path_b.read_bytes(), table
    stamp = os.stat(first.path / "users.csv").st_mtime_ns
    again = fixtures.ensure(tmp_path / "a", 20)
    assert again.path == first.path and os.stat(again.path / "users.csv").st_mtime_ns == stamp
    assert fixtures.ensure(tmp_path / "a", 20, seed=1).path != first.path


def test_fixture_rows_are_production_shaped(tmp_path):
    fixture_set = fixtures.ensure(tmp_path, 40)
    tables = {t: list(csv.DictReader(open(p))) for t, p, _ in fixture_set.tables}
    assert {t: len(r) for t, r in tables.items()} == fixture_set.rows
    users = tables["users"]
    assert len({u["email"] for u in users}) == len({u["username"] for u in users}) == len(users)
    assert {u["password_hash"] for u in users} == {STAGING_PASSWORD_HASH}
    meeting_ids = {m["id"] for m in tables["meetings"]}
    assert {s["meeting_id"] for s in tables["transcript_segments"]} <= meeting_ids
    assert {m["status"] for m in tables["meetings"]} <= {"scheduled", "live", "ended"}
    per_meeting = {}
    for s in tables["transcript_segments"]:
        per_meeting[s["meeting_id"]] = per_meeting.get(s["meeting_id"], 0) + 1
    assert max(per_meeting.values()) > 3 * min(per_meeting.values())  # a long tail, not uniform


def test_the_staging_password_hash_verifies_with_werkzeug():
    from werkzeug.security import check_password_hash

    assert check_password_hash(STAGING_PASSWORD_HASH, STAGING_PASSWORD)


def test_fakes_refuse_a_short_salt():
    with pytest.raises(ValueError):
        Fakes(b"short")


def test_fakes_never_carry_characters_that_need_escaping():
    fakes = Fakes(b"0123456789abcdef")
    for kind in ("email", "username", "name", "text", "password"):
        make = fakes.maker(kind)
        for raw in (b"a", b"x" * 5000, "Zoë O'Brien\t\\n".encode()):
            value = make(raw)
            assert value and not set(value) & set(b"\t\n\r\\'\"")


def test_the_salt_comes_from_the_environment_or_a_private_file(tmp_path):
    assert salt.load_salt(tmp_path, "s" * 20) == b"s" * 20
    with pytest.raises(PolicyError, match="too short"):
        salt.load_salt(tmp_path, "short")
    made = salt.load_salt(tmp_path)
    assert len(made) == 64 and salt.load_salt(tmp_path) == made
    assert stat.S_IMODE(os.stat(tmp_path / salt.FILE).st_mode) == 0o600
