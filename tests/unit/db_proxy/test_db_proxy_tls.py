"""The tls profile: clients must negotiate SSL with the proxy, as Neon demands (sslmode=require)."""
import socket
import struct

import psycopg
import pytest


def request(port: int, code: int) -> bytes:
    """Send one 8-byte encryption request and return the server's one-byte answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(struct.pack("!II", 8, code))
        return sock.recv(1)


def test_sslmode_require_connects_over_tls(db_proxy):
    with db_proxy(DB_PROXY_TLS="require") as proxy:
        with psycopg.connect(proxy.url(sslmode="require")) as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("SELECT 42").fetchone() == (42,)


def test_sslmode_disable_is_refused_with_neons_message(db_proxy):
    with db_proxy(DB_PROXY_TLS="require") as proxy:
        with pytest.raises(psycopg.OperationalError) as error:
            psycopg.connect(proxy.url(sslmode="disable"))
    message = str(error.value)
    assert "connection is insecure (try using `sslmode=require`)" in message
    assert "SSL is required" in message


def test_tls_off_declines_ssl_so_require_fails_and_prefer_falls_back(db_proxy):
    with db_proxy(DB_PROXY_TLS="off") as proxy:
        assert request(proxy.port, 80877103) == b"N"
        with psycopg.connect(proxy.url(sslmode="prefer")) as conn:
            assert not conn.pgconn.ssl_in_use
        with pytest.raises(psycopg.OperationalError, match="does not support SSL"):
            psycopg.connect(proxy.url(sslmode="require"))


def test_gssapi_encryption_is_declined(db_proxy):
    with db_proxy(DB_PROXY_TLS="require") as proxy:
        assert request(proxy.port, 80877104) == b"N"
        assert request(proxy.port, 80877103) == b"S"


def test_a_query_can_be_cancelled_through_the_tls_proxy(db_proxy):
    with db_proxy(DB_PROXY_TLS="require") as proxy:
        with psycopg.connect(proxy.url(sslmode="require")) as conn:
            import threading
            timer = threading.Timer(0.5, conn.cancel_safe)
            timer.start()
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("SELECT pg_sleep(10)")
            timer.join()


def test_bytes_sent_before_the_tls_handshake_are_refused(db_proxy):
    """CVE-2021-23214's lesson: plaintext pipelined after SSLRequest must not enter the session."""
    with db_proxy(DB_PROXY_TLS="require") as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            sock.sendall(struct.pack("!II", 8, 80877103) + struct.pack("!II", 8, 196608))
            assert sock.recv(1) in (b"", b"S")
            sock.settimeout(2)
            assert sock.recv(100) == b""  # closed, nothing answered in plaintext
