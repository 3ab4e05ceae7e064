"""The data-intact check's fingerprint (the gate's migration round trip, `reset --verify`): it sees
any change of a row, and it works on tables whose rows together pass PostgreSQL's 1 GB string limit
(the `prod` scale's 6.3 M transcript segments crashed the gate with ProgramLimitExceeded)."""
from __future__ import annotations

import psycopg

from replica.data.db.reset import fingerprint

USER = ("INSERT INTO users (id, email, username, display_name, password_hash, created_at) "
        "VALUES (%s, %s, %s, 'A', 'x', now())")


def add_users(url: str, *ids: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for user_id in ids:
            conn.execute(USER, (user_id, f"u{user_id}@example.test", f"u{user_id}"))


def test_a_changed_or_swapped_value_changes_the_fingerprint_and_equal_data_keeps_it(migrated_url):
    add_users(migrated_url, 1, 2)
    before = fingerprint(migrated_url)
    assert fingerprint(migrated_url) == before
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET display_name = 'B' WHERE id = 2")
    changed = fingerprint(migrated_url)
    assert changed["users"][0] == before["users"][0] and changed["users"] != before["users"]
    with psycopg.connect(migrated_url, autocommit=True) as conn:  # the two rows' names swapped
        conn.execute("UPDATE users SET display_name = CASE id WHEN 1 THEN 'B' ELSE 'A' END")
    assert fingerprint(migrated_url)["users"] != changed["users"]


def test_rows_that_together_pass_one_gigabyte_are_fingerprinted(migrated_url):
    # 110 display names of 10 MB: stored compressed (a few kB each), 1.1 GB as text
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (id, email, username, display_name, password_hash, created_at) "
                     "SELECT n, 'u' || n || '@example.test', 'u' || n, repeat('x', 10000000), 'x', "
                     "now() FROM generate_series(1, 110) n")
    count, digest = fingerprint(migrated_url)["users"]
    assert count == 110 and digest
