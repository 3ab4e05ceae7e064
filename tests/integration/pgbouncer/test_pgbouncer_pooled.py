"""The pooled profile: PgBouncer in transaction mode with Neon's settings, seen through psycopg 3."""
import psycopg
import pytest

from tests.support.containers import PGBOUNCER_PASSWORD

pytestmark = pytest.mark.stack


def test_a_transaction_commits_through_the_pooler(pgbouncer):
    with pgbouncer() as url, psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE t (x int) ON COMMIT DROP")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)
        conn.commit()


def test_the_pooler_runs_pgbouncer_1_22_or_newer_in_transaction_mode(pgbouncer):
    with pgbouncer() as url:
        admin = url.replace("/postgres?", "/pgbouncer?")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.prepare_threshold = None  # the admin console speaks the simple protocol only
            config = {row[0]: row[1] for row in conn.execute("SHOW CONFIG").fetchall()}
            version = conn.execute("SHOW VERSION").fetchone()[0]
    major, minor = (int(part) for part in version.split()[1].split(".")[:2])
    assert (major, minor) >= (1, 22)
    assert config["pool_mode"] == "transaction"
    assert config["max_prepared_statements"] == "1000"
    assert config["max_client_conn"] == "10000"
    assert config["default_pool_size"] == "93"  # 0.9 * 104, Neon's 0.25 CU max_connections
    assert config["query_wait_timeout"] == "120"


def interleave_prepared(url: str, clients: int = 3, rounds: int = 10) -> list[int]:
    """Run prepared statements from several clients over a pool smaller than the client count."""
    conns = [psycopg.connect(url, autocommit=True, prepare_threshold=0) for _ in range(clients)]
    try:
        results = []
        for round_ in range(rounds):
            for number, conn in enumerate(conns):
                row = conn.execute("SELECT %s::int * 10 + %s::int", (round_, number),
                                   prepare=True).fetchone()
                results.append(row[0])
        return results
    finally:
        for conn in conns:
            conn.close()


def test_protocol_level_prepared_statements_work_across_server_connections(pgbouncer):
    with pgbouncer(PGBOUNCER_DEFAULT_POOL_SIZE="2") as url:
        results = interleave_prepared(url)
    assert results == [r * 10 + n for r in range(10) for n in range(3)]


def test_without_prepared_statement_support_they_break_as_on_old_pgbouncer(pgbouncer):
    with pgbouncer(PGBOUNCER_DEFAULT_POOL_SIZE="2", PGBOUNCER_MAX_PREPARED_STATEMENTS="0") as url:
        with pytest.raises(psycopg.errors.Error, match="prepared statement"):
            interleave_prepared(url)


def test_session_set_does_not_follow_the_client_and_leaks_to_another(pgbouncer):
    with pgbouncer(PGBOUNCER_DEFAULT_POOL_SIZE="2") as url:
        with psycopg.connect(url) as a, psycopg.connect(url) as b:
            with a.transaction():
                a.execute("SET work_mem = '7MB'")  # session-level: stays on that server connection
                server_with_setting = a.execute("SELECT pg_backend_pid()").fetchone()[0]
            with b.transaction():  # b is given the idle server connection a just used
                assert b.execute("SELECT pg_backend_pid()").fetchone()[0] == server_with_setting
                assert b.execute("SHOW work_mem").fetchone() == ("7MB",)
                with a.transaction():  # a's next transaction lands on another server connection
                    assert a.execute("SHOW work_mem").fetchone() == ("4MB",)


def test_listen_through_the_pooler_never_receives_notifications(pgbouncer, postgres_url):
    with pgbouncer() as url:
        with psycopg.connect(url, autocommit=True) as listener, \
                psycopg.connect(url, autocommit=True) as sender:
            listener.execute('LISTEN "mina_socketio"')
            sender.execute("SELECT pg_notify('mina_socketio', 'hello')")
            received = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    assert received == []


def test_listen_on_a_direct_connection_receives_notifications(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as listener, \
            psycopg.connect(postgres_url, autocommit=True) as sender:
        listener.execute('LISTEN "mina_socketio"')
        sender.execute("SELECT pg_notify('mina_socketio', 'hello')")
        received = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    assert received == ["hello"]


def test_a_wrong_password_is_refused(pgbouncer):
    with pgbouncer() as url:
        assert f":{PGBOUNCER_PASSWORD}@" in url
        with pytest.raises(psycopg.OperationalError, match="authentication failed"):
            psycopg.connect(url.replace(f":{PGBOUNCER_PASSWORD}@", ":wrong@"))


def test_with_client_tls_required_the_pooler_speaks_tls_and_refuses_plain_clients(pgbouncer):
    with pgbouncer(PGBOUNCER_CLIENT_TLS="require") as url:
        with psycopg.connect(url + "&sslmode=require") as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError, match="SSL required"):
            psycopg.connect(url + "&sslmode=disable").close()


def test_without_client_tls_the_pooler_stays_plain(pgbouncer):
    with pgbouncer() as url, psycopg.connect(url + "&sslmode=prefer") as conn:
        assert not conn.pgconn.ssl_in_use
