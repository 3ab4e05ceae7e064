"""The NumPy fixture generator: the same bytes for a seed in any process, production's shapes."""
import csv
import io
import math
import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from replica.data.db import fixture_tables, fixtures

ROOT = Path(__file__).resolve().parents[3]


def digest_in_a_new_process(users: int, seed: int, hash_seed: str) -> str:
    code = ("import hashlib, sys\n"
            "from replica.data.db.fixture_tables import tables\n"
            "h = hashlib.sha256()\n"
            f"for table, text in tables({users}, {seed}, 'hash'):\n"
            "    h.update(table.encode()); h.update(text.encode())\n"
            "print(h.hexdigest())\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
    return done.stdout.strip()


def test_a_seed_gives_the_same_bytes_in_every_process():
    first = digest_in_a_new_process(60, 7, "1")
    assert first == digest_in_a_new_process(60, 7, "2")
    assert first != digest_in_a_new_process(60, 8, "1")


@pytest.fixture(scope="module")
def drawn():
    """The tables of 1200 users, parsed back from their CSV text."""
    text = {}
    for table, chunk in fixture_tables.tables(1200, fixtures.DEFAULT_SEED, "hash"):
        text[table] = text.get(table, "") + chunk
    return {table: list(csv.reader(io.StringIO(body))) for table, body in text.items()}


def test_every_row_has_its_table_s_columns_and_ids_run_in_order(drawn):
    for table, rows in drawn.items():
        assert {len(row) for row in rows} == {len(fixtures.COLUMNS[table])}, table
        assert [int(row[0]) for row in rows] == list(range(1, len(rows) + 1)), table


def test_meetings_per_user_are_pareto_shaped(drawn):
    per_user = Counter(int(row[1]) for row in drawn["meetings"])
    counts = sorted(per_user.values())
    assert len(per_user) == 1200  # every user owns at least one meeting
    assert 6 <= statistics.mean(counts) <= 13
    assert statistics.median(counts) <= 6 and counts[-1] >= 15 * statistics.median(counts)


def test_segments_per_meeting_are_log_normal_around_35(drawn):
    per_meeting = Counter(row[1] for row in drawn["transcript_segments"])
    logs = [math.log(n) for n in per_meeting.values() if 1 < n < fixture_tables.MAX_SEGMENTS]
    assert 28 <= statistics.median(per_meeting.values()) <= 43
    assert 0.65 <= statistics.stdev(logs) <= 0.9


def test_segments_follow_their_meeting_in_time_and_order(drawn):
    meetings = {row[0]: row for row in drawn["meetings"]}
    previous = {}
    for segment in drawn["transcript_segments"][:20000]:
        meeting = meetings[segment[1]]
        assert meeting[4] != "scheduled" and segment[7] > meeting[5]
        seq, start, end = int(segment[2]), int(segment[5]), int(segment[6])
        assert seq == previous.get(segment[1], (-1, 0))[0] + 1
        assert start >= previous.get(segment[1], (-1, 0))[1] and end > start
        previous[segment[1]] = (seq, end)


def test_nullable_columns_are_empty_fields_and_text_is_never_empty(drawn):
    users = drawn["users"]
    assert 0.05 < sum(not u[3] for u in users) / len(users) < 0.15   # display_name NULL ~10 %
    assert 0.1 < sum(not u[6] for u in users) / len(users) < 0.3     # last_login_at NULL ~20 %
    assert all(s[4] for s in drawn["transcript_segments"])


@pytest.mark.parametrize("value, field", [("plain", "plain"), ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'),
                                          ("two\nlines", '"two\nlines"'), ("", '""')])
def test_csv_fields_are_quoted_as_copy_reads_them(value, field):
    assert fixture_tables.csv_field(value) == field
    assert next(csv.reader(io.StringIO(field or '""'))) == [value]


def test_timestamps_are_written_as_postgresql_reads_them_back():
    moments = np.array([0, 86_400_000 + 3_723_004, 1_764_547_200_123])
    assert fixture_tables.timestamps(moments) == [
        "1970-01-01 00:00:00.000+00", "1970-01-02 01:02:03.004+00", "2025-12-01 00:00:00.123+00"]


def test_a_fixture_set_s_cache_key_changes_with_the_generator(monkeypatch):
    before = fixtures.cache_key(10, 1)
    monkeypatch.setattr(fixtures, "GENERATOR_VERSION", fixtures.GENERATOR_VERSION + 1)
    assert fixtures.cache_key(10, 1) != before
