"""copy_database: a candidate replica's data, copied whole from the serving deployment's database.

Two databases of the tier's server stand for the two replicas' (the copy is the same between
two servers: pg_dump reads one, psql fills the other)."""
from __future__ import annotations

import psycopg
import pytest

from replica.data.db.databases import database_of, with_database
from replica.data.dumps import copydb
from replica.data.errors import RemoteDatabaseError, SourceError


def rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, name FROM served ORDER BY id").fetchall()


def databases(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


@pytest.fixture
def serving(postgres_server, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE served (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO served VALUES (1, 'kept'), (2, 'also kept')")
    return database_url


@pytest.fixture
def candidate(postgres_server, database_url):
    """The candidate's database as its `up` left it: the schema of an older migration, no rows."""
    name = database_of(database_url) + "_candidate"
    url = postgres_server.create_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE only_before (id int)")
    yield url
    postgres_server.drop_database(name)


def test_the_candidate_gets_the_serving_databases_tables_and_rows(serving, candidate, postgres_url):
    copied = copydb.copy_database(serving, candidate)
    assert rows(candidate) == [(1, "kept"), (2, "also kept")]
    with psycopg.connect(candidate) as conn:
        assert conn.execute("SELECT to_regclass('only_before')").fetchone()[0] is None
    assert copied.database == database_of(candidate) and copied.bytes > 0
    assert f"{copied.database}{copydb.ASIDE_SUFFIX}" not in databases(postgres_url)
    assert rows(serving) == [(1, "kept"), (2, "also kept")]  # the source is only read


def test_an_unreadable_source_leaves_the_candidate_as_it_was_and_nothing_aside(candidate, postgres_url):
    missing = with_database(postgres_url, "no_such_database")
    with pytest.raises(SourceError, match="pg_dump of the source database failed"):
        copydb.copy_database(missing, candidate)
    with psycopg.connect(candidate) as conn:
        assert conn.execute("SELECT to_regclass('only_before')").fetchone()[0] == "only_before"
    assert f"{database_of(candidate)}{copydb.ASIDE_SUFFIX}" not in databases(postgres_url)


def test_a_source_outside_this_machine_is_refused_before_anything_is_read(candidate, postgres_url):
    with pytest.raises(RemoteDatabaseError, match="refusing to copy data from"):
        copydb.copy_database("postgresql://u@db.example.test/prod", candidate)
    assert f"{database_of(candidate)}{copydb.ASIDE_SUFFIX}" not in databases(postgres_url)
