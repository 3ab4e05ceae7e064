"""The cold-start profile: after IDLE_S without queries the compute sleeps; waking takes COLD_START_MS."""
import socket
import time

import psycopg
import pytest

COLD = {"DB_PROXY_COLD_START_MS": "600", "DB_PROXY_IDLE_S": "1"}
WAKING = "the compute is starting up"


def connect_when_awake(url: str, tries: int = 60) -> tuple[psycopg.Connection, int]:
    """Connect, retrying refusals every 50 ms; return the connection and how many were refused."""
    for refused in range(tries):
        try:
            return psycopg.connect(url), refused
        except psycopg.OperationalError as exc:
            assert WAKING in str(exc)
            time.sleep(0.05)
    raise AssertionError("the compute never woke up")


def wait_until_asleep() -> None:
    time.sleep(float(COLD["DB_PROXY_IDLE_S"]) + 0.6)


def test_after_idle_new_connections_are_refused_until_the_compute_wakes(db_proxy):
    with db_proxy(**COLD) as proxy:
        psycopg.connect(proxy.url()).close()  # awake at start
        wait_until_asleep()
        with pytest.raises(psycopg.OperationalError, match=WAKING):
            psycopg.connect(proxy.url())
        started = time.monotonic()
        conn, _ = connect_when_awake(proxy.url())
        woke_after = time.monotonic() - started
        with conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        psycopg.connect(proxy.url()).close()  # awake again: no refusal
    assert 0.4 < woke_after < 2.0


def test_suspending_closes_idle_connections(db_proxy):
    with db_proxy(**COLD) as proxy:
        with psycopg.connect(proxy.url(), autocommit=True) as conn:
            conn.execute("SELECT 1")
            wait_until_asleep()
            with pytest.raises(psycopg.OperationalError):
                conn.execute("SELECT 1")


def test_a_connection_inside_a_transaction_keeps_the_compute_awake(db_proxy):
    with db_proxy(**COLD) as proxy:
        with psycopg.connect(proxy.url()) as conn:  # psycopg opens a transaction on first query
            conn.execute("SELECT 1")
            wait_until_asleep()
            assert conn.execute("SELECT 2").fetchone() == (2,)
            psycopg.connect(proxy.url()).close()  # and new sessions are not refused


def test_tcp_probes_neither_wake_the_compute_nor_keep_it_awake(db_proxy):
    with db_proxy(**COLD) as proxy:
        psycopg.connect(proxy.url()).close()  # first use: the idle clock starts
        deadline = time.monotonic() + float(COLD["DB_PROXY_IDLE_S"]) + 0.6
        while time.monotonic() < deadline:  # a healthcheck every 200 ms while idle
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
            time.sleep(0.2)
        time.sleep(0.8)  # longer than a wake-up: a probe that woke the compute would be over
        with pytest.raises(psycopg.OperationalError, match=WAKING):
            psycopg.connect(proxy.url())


def test_before_its_first_client_the_compute_stays_awake(db_proxy):
    """A stack's one-shot migration may connect long after the proxy started."""
    with db_proxy(**COLD) as proxy:
        wait_until_asleep()
        with psycopg.connect(proxy.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_delay_mode_holds_the_connection_while_the_compute_wakes(db_proxy):
    with db_proxy(DB_PROXY_COLD_START_MODE="delay", **COLD) as proxy:
        psycopg.connect(proxy.url()).close()
        wait_until_asleep()
        started = time.monotonic()
        with psycopg.connect(proxy.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert time.monotonic() - started >= 0.6


def test_without_cold_start_the_compute_never_sleeps(db_proxy):
    with db_proxy(DB_PROXY_IDLE_S="0.5") as proxy:
        with psycopg.connect(proxy.url(), autocommit=True) as conn:
            time.sleep(1.2)
            assert conn.execute("SELECT 1").fetchone() == (1,)
        psycopg.connect(proxy.url()).close()


def test_a_long_query_keeps_the_compute_awake(db_proxy):
    with db_proxy(**COLD) as proxy:
        with psycopg.connect(proxy.url(), autocommit=True) as conn:
            conn.execute("SELECT pg_sleep(2)")  # no bytes flow for longer than IDLE_S
            assert conn.execute("SELECT 1").fetchone() == (1,)
