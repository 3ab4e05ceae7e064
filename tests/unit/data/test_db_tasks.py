"""The staging.db tasks as a user runs them: one clear message and a specific exit code."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.unit.data.dumpmaker import ROOT, make_dump, sample_rows


def invoke(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STAGING_NAME": "tasks-test-never-up", "STAGING_SANITIZE_SALT": "t" * 32}
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "prod.sql"
    path.write_bytes(make_dump(sample_rows()))
    return path


def test_sanitize_then_leakcheck_pass(tmp_path, dump):
    out = tmp_path / "safe.sql"
    done = invoke("staging.db.sanitize", str(dump), str(out), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"person1@corp.example" not in out.read_bytes()
    done = invoke("staging.db.leakcheck", str(dump), str(out), tmp_path=tmp_path)
    assert done.returncode == 0 and "no leaks" in done.stdout


def test_sanitize_to_stdout_streams_only_the_dump_there(tmp_path, dump):
    out = tmp_path / "safe.sql"
    invoke("staging.db.sanitize", str(dump), str(out), tmp_path=tmp_path)
    done = invoke("staging.db.sanitize", str(dump), "-", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == out.read_text()  # the summary went to stderr
    assert "sanitized" in done.stderr


def test_sanitize_into_a_pipe_writes_through_it_and_leaves_it_a_pipe(tmp_path, dump, policy):
    import threading
    from replica.data.dumps.sanitize import sanitize_file
    from tests.unit.data.dumpmaker import SALT

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    sanitize_file(dump, fifo, policy, SALT)
    reader.join(timeout=30)
    sanitize_file(dump, tmp_path / "file.sql", policy, SALT)
    assert fifo.is_fifo() and received == [(tmp_path / "file.sql").read_bytes()]


def test_sanitize_through_a_symlink_writes_its_file_and_keeps_the_link(tmp_path, dump, policy):
    # /dev/stdout is such a link when stdout is redirected to a file: renaming over it replaced it
    from replica.data.dumps.sanitize import sanitize_file
    from tests.unit.data.dumpmaker import SALT

    real, link = tmp_path / "real.sql", tmp_path / "link.sql"
    real.write_bytes(b"old")
    link.symlink_to(real)
    sanitize_file(dump, link, policy, SALT)
    sanitize_file(dump, tmp_path / "plain.sql", policy, SALT)
    assert link.is_symlink() and real.read_bytes() == (tmp_path / "plain.sql").read_bytes()


@pytest.mark.parametrize("where, says", [(".", "is a folder"),
                                         ("missing/safe.sql", "there is no folder")])
def test_sanitize_to_a_path_it_cannot_write_exits_2_in_one_line(tmp_path, dump, where, says):
    done = invoke("staging.db.sanitize", str(dump), str(tmp_path / where), tmp_path=tmp_path)
    assert done.returncode == 2 and says in done.stderr
    assert "Traceback" not in done.stderr


def test_leakcheck_of_an_unsanitized_copy_exits_6_without_printing_values(tmp_path, dump):
    done = invoke("staging.db.leakcheck", str(dump), str(dump), tmp_path=tmp_path)
    assert done.returncode == 6
    assert "public.users.email" in done.stderr
    assert "person1@corp.example" not in done.stderr + done.stdout


def test_a_policy_typo_exits_2_naming_the_column(tmp_path, dump):
    policy = tmp_path / "p.yml"
    policy.write_text((ROOT / "db" / "sanitize.yml").read_text().replace("email: fake email",
                                                                           "email: fake emial"))
    done = invoke("staging.db.sanitize", str(dump), str(tmp_path / "o.sql"), "--policy",
                  str(policy), tmp_path=tmp_path)
    assert done.returncode == 2 and "users.email" in done.stderr
    assert not (tmp_path / "o.sql").exists()


def test_a_truncated_dump_exits_5_and_writes_nothing(tmp_path):
    cut = tmp_path / "cut.sql"
    cut.write_bytes(make_dump(sample_rows(), complete=False))
    done = invoke("staging.db.sanitize", str(cut), str(tmp_path / "o.sql"), tmp_path=tmp_path)
    assert done.returncode == 5 and "truncated" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.sql"]


def test_a_snapshot_name_with_path_characters_exits_2(tmp_path):
    done = invoke("staging.db.snapshot", "../../etc", tmp_path=tmp_path)
    assert done.returncode == 2 and "not allowed" in done.stderr


def test_reset_on_a_replica_that_is_not_up_exits_4_and_says_what_to_run(tmp_path):
    done = invoke("staging.db.reset", tmp_path=tmp_path)
    assert done.returncode == 4 and "staging.up" in done.stderr
