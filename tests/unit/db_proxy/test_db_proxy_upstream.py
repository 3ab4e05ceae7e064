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


def test_a_client_that_is_not_postgresql_is_dropped_and_the_proxy_carries_on(db_proxy):
    import socket
    with db_proxy() as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100) == b""
        with psycopg.connect(proxy.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        log = proxy.log()
    assert "error (ProtocolError: invalid startup packet length" in log
