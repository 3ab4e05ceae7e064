"""Every operation on the fixtures template, asked for before one was loaded: one clear error
(NoFixturesError, exit 5) naming the database and what could not be done, nothing created."""
from __future__ import annotations

import psycopg
import pytest

from replica.data.db import reset
from replica.data.db.databases import database_of
from replica.data.errors import NoFixturesError

OPERATIONS = {
    "to reset to": lambda url: reset.reset(url, background=False),
    "to replace": reset.keep_live_as_template,
    "to upgrade": lambda url: reset.upgrade_template(url, upgrade=lambda name: None),
}


@pytest.mark.parametrize("doing", OPERATIONS)
def test_no_template_is_one_clear_error_and_nothing_is_created(database_url, postgres_url, doing):
    live = database_of(database_url)
    with psycopg.connect(postgres_url) as conn:
        before = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    with pytest.raises(NoFixturesError, match=f"no loaded fixtures for {live} {doing} ") as error:
        OPERATIONS[doing](database_url)
    assert "staging.db.seed" in error.value.hint
    with psycopg.connect(postgres_url) as conn:
        assert {row[0] for row in conn.execute("SELECT datname FROM pg_database")} == before
