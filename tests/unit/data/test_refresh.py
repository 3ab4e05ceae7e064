"""`staging.db.refresh --from URL`: a second PostgreSQL plays production, holding planted PII.

Afterwards the replica's database holds production's tables with none of the PII (leak check and
grep), production is unchanged (row counts and checksums), and no file written under the project,
TMPDIR, HOME or the replica's server holds a planted value. Every refused or failed refresh leaves the
replica's database as it was, with no aside database left behind.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from replica.data.dumps import leakcheck, readonly_source, refresh as refresh_module
from replica.data import pgtools
from replica.data.db.databases import database_of, with_database
from replica.data.errors import DumpError, SourceRefusedError
from replica.core.exit_status import ExitStatus
from tests.support.postgres import PostgresServer
from tests.unit.data.dumpmaker import ROOT, SALT, make_dump, sample_rows

PII = ["zelda.quint.8472@victim-corp.example", "zquint_8472", "Zelda Quintavalle",
       "pbkdf2:sha256:600000$plantedsalt$plantedhash8472", "Acquisition of Vandelay Industries 8472",
       "my card number is 4929 8472 0000 1111"]
KEPT = "planted0kept0revision8472"  # alembic_version.version_num is `keep`: it must arrive
PASSWORD = "pw-Source-s3cret-8472"
READER, WRITER, OWNER, WRITE_ALL = "reader", "writer", "owner_role", "writes_all"


def production_rows() -> dict[str, list[list]]:
    rows = sample_rows()
    email, username, name, password_hash, title, text = PII
    rows["users"][0][1:5] = [email, username, name, password_hash]
    rows["meetings"][0][2] = title
    rows["transcript_segments"][0][3:5] = [name, text]
    return rows


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """A PostgreSQL standing in for production: the app's tables with PII, and three roles."""
    with PostgresServer() as server:
        server.create_database("prod")
        dump = tmp_path_factory.mktemp("production") / "prod.sql"
        dump.write_bytes(make_dump(production_rows()))
        subprocess.run([pgtools.find("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump),
                        "-d", server.url_for("prod")], check=True, capture_output=True)
        dump.unlink()
        for statement in [
                "CREATE TABLE public.alembic_version (version_num varchar(32) PRIMARY KEY)",
                f"INSERT INTO public.alembic_version VALUES ('{KEPT}')",
                f"CREATE ROLE {READER} LOGIN PASSWORD '{PASSWORD}'",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}",
                f"CREATE ROLE {WRITER} LOGIN",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {WRITER}",
                f"GRANT INSERT ON public.meetings TO {WRITER}",
                f"CREATE ROLE {OWNER} LOGIN",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {OWNER}",
                f"ALTER TABLE public.alembic_version OWNER TO {OWNER}",
                f"CREATE ROLE {WRITE_ALL} LOGIN IN ROLE pg_read_all_data, pg_write_all_data"]:
            server.psql(statement, "prod")
        yield server


def url_as(server: PostgresServer, role: str, database: str = "prod", password: str = "") -> str:
    secret = f":{password}" if password else ""
    return f"postgresql://{role}{secret}@127.0.0.1:{server.port}/{database}"


@pytest.fixture
def reader_url(production) -> str:
    return url_as(production, READER, password=PASSWORD)


@pytest.fixture
def replica_url(postgres_server, request) -> str:
    """The replica's database, holding data of its own that a failed refresh must leave alone."""
    name = f"refresh_{request.node.name[:30]}".lower()
    name = "".join(c if c.isalnum() else "_" for c in name)
    url = postgres_server.create_database(name)
    postgres_server.psql("CREATE TABLE fixtures_marker (id int, note text); "
                         "INSERT INTO fixtures_marker VALUES (1, 'the replica before')", name)
    yield url
    for database in (name, f"{name}{refresh_module.ASIDE_SUFFIX}"):
        postgres_server.drop_database(database)


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of the contents of every table of a database."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname = 'public' ORDER BY 1")]
        return {table: conn.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' "
                                    f"ORDER BY t::text), '')) FROM {table} t").fetchone()
                for table in tables}


def databases_beside(url: str) -> set[str]:
    """The names of every database on url's server."""
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def dump_of(url: str) -> bytes:
    return subprocess.run([pgtools.find("pg_dump"), "-d", url], check=True,
                          capture_output=True).stdout


def run_refresh(source: str, replica: str, policy, **options):
    return refresh_module.refresh(source, replica, policy, SALT, **options)


def invoke_refresh(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "STAGING_NAME": "refresh-test-never-up",
               "STAGING_SANITIZE_SALT": "r" * 32, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "invoke", "staging.db.refresh", *args], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=300)


# ---- a refresh that works ------------------------------------------------------------------------

def test_the_replica_gets_production_sanitized_and_production_is_unchanged(
        production, reader_url, replica_url, policy):
    before = fingerprint(production.url_for("prod"))

    done = run_refresh(reader_url, replica_url, policy)

    assert fingerprint(production.url_for("prod")) == before
    refreshed = fingerprint(replica_url)
    assert {t: n for t, (n, _) in refreshed.items()} == {t: n for t, (n, _) in before.items()}
    assert refreshed["public.alembic_version"] == before["public.alembic_version"]  # kept as is
    assert done.stats.rows["public.users"] == 3 and done.scanned > 0 and done.sensitive > 0
    replica_dump = dump_of(replica_url)
    assert not [value for value in PII if value.encode() in replica_dump]
    original = dump_of(production.url_for("prod"))
    report = leakcheck.check(io.BytesIO(original), io.BytesIO(replica_dump), policy)
    assert report.sensitive > 0 and report.total_leaks == 0
    assert not any(d.endswith(refresh_module.ASIDE_SUFFIX) for d in databases_beside(replica_url))


def test_no_unsanitized_byte_is_written_to_disk(production, reader_url, replica_url,
                                                postgres_server, tmp_path):
    tmpdir, home = tmp_path / "tmpdir", tmp_path / "home"  # psql or libpq writing under ~ too
    tmpdir.mkdir()
    home.mkdir()
    started = time.time() - 1

    done = invoke_refresh("--from", reader_url, "--url", replica_url,
                          env={"TMPDIR": str(tmpdir), "HOME": str(home)})

    assert done.returncode == 0, done.stderr
    postgres_server.psql("CHECKPOINT")  # the replica's server writes out what it holds
    written = [path for root in (ROOT, tmpdir, home, postgres_server.root)
               for path in _files_written_since(root, started)]
    assert written  # the walk sees the new database's files at least
    found = {value: [str(p) for p in written if value.encode() in p.read_bytes()] for value in PII}
    assert found == {value: [] for value in PII}
    assert any(KEPT.encode() in path.read_bytes() for path in written)  # the grep does find data


def test_both_dumps_read_one_snapshot_whatever_commits_meanwhile(production, reader_url,
                                                                 replica_url, policy):
    # a row committed between the dump the leak check learns from and the dump that is loaded
    # must be in neither: otherwise its values would reach the replica unchecked
    def commit_a_user(message: str) -> None:
        if "streaming" in message:
            production.psql("INSERT INTO public.users VALUES (99, 'late.comer.8472@victim-corp."
                            "example', 'late_8472', 'Late Comer', 'x', now(), NULL)", "prod")

    try:
        run_refresh(reader_url, replica_url, policy, say=commit_a_user)
        assert production.psql("SELECT count(*) FROM public.users", "prod") == "4"
        assert fingerprint(replica_url)["public.users"][0] == 3
    finally:
        production.psql("DELETE FROM public.users WHERE id = 99", "prod")


def test_the_source_password_is_never_printed(reader_url, replica_url):
    done = invoke_refresh("--from", reader_url, "--url", replica_url)

    assert done.returncode == 0, done.stderr
    assert "refreshed" in done.stdout and "[REDACTED]" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr


def test_the_dump_session_cannot_write_even_as_superuser(production):
    conninfo, env = readonly_source.client_process(
        readonly_source.read_only(production.url_for("prod")))  # what pg_dump is given
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM public.meetings")


def test_options_of_the_url_are_kept_beside_the_read_only_one():
    conninfo = readonly_source.read_only("postgresql://u@db.example/x?options=-c%20search_path%3Dapp")
    assert psycopg.conninfo.conninfo_to_dict(conninfo)["options"] == \
        "-c search_path=app -c default_transaction_read_only=on"


def test_a_password_goes_to_pg_dump_by_environment_not_argv(reader_url):
    conninfo, env = readonly_source.client_process(reader_url)
    assert PASSWORD not in conninfo and env["PGPASSWORD"] == PASSWORD


# ---- refused or failed: one line, the exit code, the replica as it was -----------------------------

@pytest.mark.parametrize("role, says", [("postgres", "is a superuser"),
                                        (OWNER, "owns 1 table (public.alembic_version)"),
                                        (WRITER, "may INSERT, UPDATE, DELETE or TRUNCATE 1 table "
                                                 "(public.meetings)"),
                                        (WRITE_ALL, "TRUNCATE 4 tables (public.alembic_version, "
                                                    "public.meetings, public.transcript_segments, +1)")])
def test_a_source_role_that_can_write_is_refused(production, replica_url, role, says):
    _refused(("--from", url_as(production, role), "--url", replica_url), ExitStatus.CONFIG,
             says, replica_url)


def test_a_writable_source_is_dumped_when_allowed(production, replica_url, policy):
    done = run_refresh(url_as(production, "postgres"), replica_url, policy, allow_writable=True)
    assert done.stats.rows["public.users"] == 3


def test_an_unreachable_source_exits_5(production, replica_url):
    closed = f"postgresql://{READER}:{PASSWORD}@127.0.0.1:1/prod"
    _refused(("--from", closed, "--url", replica_url), ExitStatus.DATA,
             "cannot connect to the source", replica_url)


def test_the_replicas_own_database_as_source_is_refused(postgres_server, replica_url):
    same = replica_url.replace("127.0.0.1", "localhost") + "?application_name=other"
    _refused(("--from", same, "--url", replica_url), ExitStatus.CONFIG,
             "is the replica's own database", replica_url)


def test_a_source_whose_sessions_are_not_read_only_is_refused(reader_url, replica_url, policy,
                                                              monkeypatch):
    monkeypatch.setattr(readonly_source, "READ_ONLY_OPTION", "-c application_name=x")  # dropped
    before = fingerprint(replica_url)
    with pytest.raises(SourceRefusedError, match="its sessions would not be read-only"):
        run_refresh(reader_url, replica_url, policy)
    _assert_untouched(replica_url, before)


def test_a_missing_from_exits_2(replica_url):
    _refused(("--url", replica_url), ExitStatus.CONFIG, "--from is required", replica_url)


def test_an_unclassified_column_of_the_source_stops_the_stream(production, replica_url, policy):
    production.psql("CREATE TABLE public.unlisted (secret text); "
                    f"GRANT SELECT ON public.unlisted TO {READER}", "prod")
    try:
        _refused(("--from", url_as(production, READER, password=PASSWORD), "--url", replica_url),
                 ExitStatus.CONFIG, "table public.unlisted is not classified", replica_url)
    finally:
        production.psql("DROP TABLE public.unlisted", "prod")


@pytest.mark.parametrize("failure", [DumpError("the sanitizer stopped halfway"),
                                     KeyboardInterrupt()], ids=["sanitizer-error", "ctrl-c"])
def test_a_failure_mid_stream_commits_nothing(reader_url, replica_url, policy, failure):
    from replica.data.dumps.sanitize import Sanitizer

    def fails_halfway(src, dst):
        whole = io.BytesIO()
        Sanitizer(policy, SALT).run(src, whole)
        dst.write(whole.getvalue()[:len(whole.getvalue()) // 2])  # psql has half the sanitized dump ...
        raise failure  # ... and must not commit it

    before = fingerprint(replica_url)
    with pytest.raises(type(failure)):
        run_refresh(reader_url, replica_url, policy, sanitize=fails_halfway)
    _assert_untouched(replica_url, before)


def test_the_library_takes_urls_and_callables_not_the_replicas_settings():
    from tests.unit.test_import_graph import import_graph

    graph, reached, todo = import_graph(ROOT / "replica"), set(), ["replica.data.dumps.refresh"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module])
    assert not {m for m in reached if m in ("replica.stack.plan", "replica.stack.settings")
                or m.startswith("replica.commands")}


def test_a_swap_that_fails_drops_the_aside_database(reader_url, replica_url, policy, monkeypatch):
    from replica.data.db import databases
    from replica.data.errors import DataError

    def refused(conn, replacement, live, keep_retired=False):
        raise DataError(f"cannot swap {replacement} in as {live}: planted failure")

    monkeypatch.setattr(databases, "swap_in", refused)
    before = fingerprint(replica_url)
    with pytest.raises(DataError, match="planted failure"):
        run_refresh(reader_url, replica_url, policy)
    _assert_untouched(replica_url, before)


def test_a_leak_found_on_the_stream_exits_6_and_swaps_nothing(production, replica_url):
    production.psql(f"CREATE VIEW public.vip AS SELECT id FROM public.users "
                    f"WHERE email = '{PII[0]}'; GRANT SELECT ON public.vip TO {READER}", "prod")
    try:
        _refused(("--from", url_as(production, READER, password=PASSWORD), "--url", replica_url),
                 ExitStatus.LEAKS, "the leak check found 1 values of the source", replica_url)
    finally:
        production.psql("DROP VIEW public.vip", "prod")


# ---- helpers ---------------------------------------------------------------------------------------

def _refused(args, code: int, says: str, replica_url: str) -> None:
    before = fingerprint(replica_url)
    done = invoke_refresh(*args)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == code, done.stderr
    assert lines[0].startswith("✘ ") and says in lines[0], done.stderr
    assert len(lines) <= 2 and "Traceback" not in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    _assert_untouched(replica_url, before)


def _assert_untouched(replica_url: str, before) -> None:
    assert fingerprint(replica_url) == before
    assert fingerprint(replica_url)["public.fixtures_marker"][0] == 1
    assert f"{database_of(replica_url)}{refresh_module.ASIDE_SUFFIX}" not in databases_beside(
        replica_url)


def _files_written_since(root: Path, since: float):
    for path in root.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since:
                yield path
        except OSError:
            continue
