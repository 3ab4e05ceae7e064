"""PgBouncer from the replica's own pooler image (docker/pgbouncer, the tag `staging.up --profile
pooled` builds), a testcontainer in front of the session's PostgreSQL container."""
from __future__ import annotations

import pytest

from tests.support.containers import pgbouncer_in_front_of


@pytest.fixture
def pgbouncer(postgres_server):
    """Factory: `with pgbouncer(PGBOUNCER_DEFAULT_POOL_SIZE="2") as url:` yields a client URL."""

    def start(**env: str):
        return pgbouncer_in_front_of(postgres_server, **env)

    return start
