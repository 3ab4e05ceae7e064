"""Destructive tasks refuse databases that are not this machine's replica, and say why."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from replica.data.errors import RemoteDatabaseError
from replica.data.guards import check_target, redact

ROOT = Path(__file__).resolve().parents[3]
NEON = "postgresql://staging_user:staging_pass@staging-db.neon.tech/mina_staging"


@pytest.mark.parametrize("url", [
    "postgresql://u:p@127.0.0.1:15432/mina_staging", "postgresql://u@localhost/x",
    "postgresql://u@[::1]:5432/x", "postgresql:///mina_staging", "postgresql://u@127.0.0.2/x"])
def test_local_databases_are_allowed(url):
    check_target(url, "reset")


@pytest.mark.parametrize("url", [NEON, "postgresql://u@10.0.0.5/x", "postgresql://u@db.internal/x"])
def test_remote_databases_are_refused_naming_host_and_flag(url):
    with pytest.raises(RemoteDatabaseError) as error:
        check_target(url, "reset", replica_url="postgresql://u@127.0.0.1:1/mina_staging")
    assert "not this machine's replica" in str(error.value)
    assert "--force-remote" in error.value.hint
    assert "staging_pass" not in str(error.value)


def test_force_remote_allows_a_remote_database():
    check_target(NEON, "reset", force_remote=True)


def test_redact_hides_only_the_password():
    assert redact(NEON) == "postgresql://staging_user:***@staging-db.neon.tech/mina_staging"
    assert redact("postgresql://u@h/x") == "postgresql://u@h/x"


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
