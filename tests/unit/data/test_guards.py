"""Destructive tasks refuse databases that are not this machine's replica, and say why.

The guard decides on the servers as libpq will (conninfo parsing plus the PG* environment) and
refuses before any connection: every test here fails if psycopg.connect is called at all.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from invoke import Context
from invoke.exceptions import Exit

from replica.data.errors import RemoteDatabaseError
from replica.core.conninfo import connection_hosts
from replica.data.db.guards import check_target
from replica.core.errors import ConfigError
from replica.core.redact import MASK, redact
from replica.tasks import db_tasks

ROOT = Path(__file__).resolve().parents[3]
NEON = "postgresql://staging_user:staging_pass@staging-db.neon.tech/mina_staging"
NO_ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def no_connection(monkeypatch):
    """Fail the test if anything tries to connect: the guard must decide on the URL alone."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"psycopg.connect was called: {args} {kwargs}")
    monkeypatch.setattr(psycopg, "connect", refuse)
    monkeypatch.setattr(psycopg.Connection, "connect", refuse)
    for variable in ("PGHOST", "PGHOSTADDR", "PGSERVICE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize("url", [
    "postgresql://u:p@127.0.0.1:15432/mina_staging", "postgresql://u@localhost/x",
    "postgresql://u@[::1]:5432/x", "postgresql:///mina_staging", "postgresql://u@127.0.0.2/x",
    "postgresql://u@/x?host=/var/run/postgresql", "host=127.0.0.1 port=15432 dbname=x",
    "postgresql://u@127.0.0.1,localhost:5433/x",
    "postgresql://u@db.example.com/x?hostaddr=127.0.0.1",
    "dbname=x"])
def test_local_databases_are_allowed(url):
    check_target(url, "reset", environ=NO_ENV)


@pytest.mark.parametrize("url", [
    NEON, "postgresql://u@10.0.0.5/x", "postgresql://u@db.internal/x",
    "postgresql://u:staging_pass@/mina_staging?host=other.example.com",
    "postgresql://u:staging_pass@/mina_staging?hostaddr=10.1.2.3",
    "postgresql://u:staging_pass@localhost/mina_staging?host=other.example.com",
    "postgresql://u:staging_pass@localhost/mina_staging?hostaddr=10.1.2.3",
    "postgresql://u:staging_pass@127.0.0.1:5432,other.example.com:5432/mina_staging",
    "host=other.example.com dbname=mina_staging password=staging_pass",
    "host=localhost hostaddr=10.1.2.3 dbname=mina_staging password='staging_pass'",
    "host=127.0.0.1,other.example.com user=u password=staging_pass",
])
def test_remote_databases_are_refused_naming_host_and_flag(url):
    with pytest.raises(RemoteDatabaseError) as error:
        check_target(url, "reset", replica_url="postgresql://u@127.0.0.1:1/mina_staging",
                     environ=NO_ENV)
    assert "not this machine's replica" in str(error.value)
    assert "--force-remote" in error.value.hint
    assert "staging_pass" not in str(error.value)
    assert any(h in str(error.value) for h in ("other.example.com", "10.1.2.3", "neon.tech",
                                               "10.0.0.5", "db.internal"))


@pytest.mark.parametrize("variable, value", [("PGHOST", "other.example.com"),
                                             ("PGHOSTADDR", "10.1.2.3"),
                                             ("PGHOST", "localhost,other.example.com")])
def test_the_pg_environment_of_a_host_less_url_is_checked(variable, value):
    with pytest.raises(RemoteDatabaseError, match=variable):
        check_target("postgresql://u:p@/mina_staging", "reset", environ={variable: value})
    with pytest.raises(RemoteDatabaseError, match=variable):
        check_target("dbname=mina_staging", "reset", environ={variable: value})


def test_pghostaddr_wins_even_over_the_replicas_own_url():
    own = "postgresql://u:p@127.0.0.1:15432/mina_staging"
    with pytest.raises(RemoteDatabaseError, match="10.1.2.3"):
        check_target(own, "reset", replica_url=own, environ={"PGHOSTADDR": "10.1.2.3"})


def test_pghost_does_not_change_a_url_that_names_its_host():
    check_target("postgresql://u@127.0.0.1/x", "reset", environ={"PGHOST": "other.example.com"})


def test_hostaddr_is_where_libpq_connects():
    assert connection_hosts("host=a.example,b.example hostaddr=127.0.0.1,", NO_ENV) == [
        ("127.0.0.1", "hostaddr in the URL"), ("b.example", "host in the URL")]


@pytest.mark.parametrize("url, environ", [("service=prod dbname=x", NO_ENV),
                                          ("postgresql://u@localhost/x?service=prod", NO_ENV),
                                          ("postgresql://u@localhost/x", {"PGSERVICE": "prod"})])
def test_a_connection_service_is_refused_since_it_may_point_anywhere(url, environ):
    with pytest.raises(RemoteDatabaseError, match="service"):
        check_target(url, "reset", environ=environ)


def test_an_unreadable_url_is_a_one_line_config_error_without_its_password():
    with pytest.raises(ConfigError) as error:
        check_target("host=x password=hunter22 'oops", "reset", environ=NO_ENV)
    assert "hunter22" not in str(error.value) and "\n" not in str(error.value)


def test_force_remote_allows_a_remote_database():
    check_target(NEON, "reset", force_remote=True, environ=NO_ENV)


@pytest.mark.parametrize("url, secret", [
    (NEON, "staging_pass"),
    ("postgresql://u:staging_pass@h1:5432,h2:5433/x", "staging_pass"),
    ("postgresql://u@h/x?password=staging_pass&sslmode=require", "staging_pass"),
    ("host=h password=staging_pass dbname=x", "staging_pass"),
    ("host=h password = 'stag ing\\' pass' dbname=x", "ing"),
    ("host=h sslpassword=staging_pass dbname=x", "staging_pass"),
])
def test_redact_hides_the_password_of_every_url_form(url, secret):
    redacted = redact(url)
    assert secret not in redacted and MASK in redacted
    assert "dbname=x" in redacted or "/" in redacted


def test_redact_keeps_a_url_without_a_password():
    assert redact("postgresql://u@h/x") == "postgresql://u@h/x"
    assert redact(NEON) == f"postgresql://staging_user:{MASK}@staging-db.neon.tech/mina_staging"


DESTRUCTIVE = [(db_tasks.reset, {}), (db_tasks.seed, {}), (db_tasks.restore, {"snapshot": "snap"}),
               (db_tasks.snapshot, {"snapshot": "snap"}), (db_tasks.load_dump, {"file": "x.sql"})]
BYPASSES = [("postgresql://u:staging_pass@/mina_staging?host=other.example.com", {}),
            ("postgresql://u:staging_pass@localhost/mina_staging?hostaddr=10.1.2.3", {}),
            ("host=other.example.com dbname=mina_staging password=staging_pass", {}),
            ("postgresql://u:staging_pass@/mina_staging", {"PGHOST": "other.example.com"})]


@pytest.mark.parametrize("task, args", DESTRUCTIVE, ids=lambda t: getattr(t, "name", ""))
@pytest.mark.parametrize("url, environ", BYPASSES)
def test_every_destructive_task_refuses_a_bypass_before_connecting(task, args, url, environ,
                                                                   monkeypatch, capsys):
    monkeypatch.setenv("STAGING_NAME", "guard-test-never-up")
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(Exit) as exit_:
        task(Context(), url=url, **args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--force-remote" in err and "staging_pass" not in err


@pytest.mark.parametrize("task", [["reset"], ["seed"], ["restore", "snap"], ["snapshot", "snap"],
                                  ["load-dump", "x.sql"]])
def test_every_destructive_task_refuses_a_neon_url_with_exit_code_2(task, tmp_path):
    env = {**os.environ, "STAGING_NAME": "guard-test-never-up"}
    done = subprocess.run([sys.executable, "-m", "invoke", f"staging.db.{task[0]}", *task[1:],
                           "--url", NEON], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "staging-db.neon.tech" in done.stderr and "--force-remote" in done.stderr
    assert "staging_pass" not in done.stderr + done.stdout


@pytest.mark.parametrize("url", ["host=127.0.0.1 port=15432 dbname=live password=p",
                                 "postgresql://u:p@127.0.0.1:15432/ignored?dbname=live"])
def test_the_database_acted_on_is_the_one_libpq_connects_to(url):
    from psycopg.conninfo import conninfo_to_dict
    from replica.data.db import databases

    assert databases.database_of(url) == "live"
    admin = conninfo_to_dict(databases.with_database(url, "postgres"))
    assert (admin["dbname"], admin["host"], admin["port"]) == ("postgres", "127.0.0.1", "15432")
