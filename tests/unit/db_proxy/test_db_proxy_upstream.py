"""What clients see when the real database is not there."""
import psycopg
import pytest

from tests.support.ports import free_port


def test_an_unreachable_upstream_is_reported_to_the_client(db_proxy):
    dead_port = free_port()
    with db_proxy(upstream_port=dead_port) as proxy:
        with pytest.raises(psycopg.OperationalError,
                           match=f"db-proxy could not reach the database at 127.0.0.1:{dead_port}"):
            psycopg.connect(proxy.url())
