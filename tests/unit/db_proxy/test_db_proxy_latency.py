"""The db-slow profile: every query round trip through the proxy is at least LATENCY_MS slower."""
import time

import psycopg

LATENCY_MS = 150


def round_trip_seconds(conn, repeats: int = 5) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        assert conn.execute("SELECT 1").fetchone() == (1,)
        times.append(time.perf_counter() - start)
    return times


def test_each_query_round_trip_is_slower_by_the_latency(db_proxy):
    with db_proxy(DB_PROXY_LATENCY_MS=str(LATENCY_MS)) as proxy:
        with psycopg.connect(proxy.url()) as conn:
            slow = round_trip_seconds(conn)
    assert min(slow) >= LATENCY_MS / 1000
    assert max(slow) < LATENCY_MS / 1000 + 1.0  # delayed, not stalled


def test_without_latency_the_proxy_adds_next_to_nothing(db_proxy):
    with db_proxy() as proxy:
        with psycopg.connect(proxy.url()) as conn:
            fast = round_trip_seconds(conn)
    assert min(fast) < 0.05


def test_latency_keeps_large_results_whole_and_in_order(db_proxy):
    with db_proxy(DB_PROXY_LATENCY_MS="20") as proxy:
        with psycopg.connect(proxy.url()) as conn:
            rows = conn.execute("SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g").fetchall()
    assert [r[0] for r in rows] == list(range(1, 20001))
    assert all(len(r[1]) == 200 for r in rows)


def test_one_log_line_per_connection(db_proxy):
    with db_proxy() as proxy:
        for _ in range(2):
            with psycopg.connect(proxy.url()) as conn:
                conn.execute("SELECT 1")
        time.sleep(0.2)
        log = proxy.log()
    lines = [line for line in log.splitlines() if " conn #" in line]
    assert len(lines) == 3, log  # the readiness probe and two clients
    assert "probe" in lines[0] and all("proxied" in line for line in lines[1:])
