"""Inputs are never destroyed, non-dumps and over-long lines are refused in one line, and memory
stays flat for long lines."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from replica.data.dumps import archives as dumps, loaddump
from replica.data.errors import DumpFormatError, DumpLineTooLongError, OutputError
from replica.data.dumps.sanitize import Sanitizer, sanitize_file
from replica.data.dumps.source import LineSource

from tests.unit.data.dumpmaker import ROOT, SALT, make_dump, sample_rows
from tests.unit.data.test_db_tasks import invoke


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.sql"
    path.write_bytes(make_dump(sample_rows()))
    return path


def the_same_file(victim, tmp_path):
    """Ways to name the input as the output: itself, a symlink to it, a hard link, and the
    input given as a symlink whose target is the output."""
    link = tmp_path / "link.sql"
    link.symlink_to(victim)
    hard = tmp_path / "hard.sql"
    os.link(victim, hard)
    return [(victim, victim), (victim, link), (link, victim), (victim, hard),
            (tmp_path / "." / "victim.sql", victim)]


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(victim, tmp_path, policy):
    before = victim.read_bytes()
    for source, target in the_same_file(victim, tmp_path):
        with pytest.raises(OutputError, match="is the input"):
            sanitize_file(source, target, policy, SALT)
        assert victim.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_input_with_the_partial_files_name_is_not_overwritten(tmp_path, policy):
    source = tmp_path / ".safe.sql.partial"
    source.write_bytes(make_dump(sample_rows()))
    before = source.read_bytes()
    with pytest.raises(OutputError, match="name of the partial file"):
        sanitize_file(source, tmp_path / "safe.sql", policy, SALT)
    assert source.read_bytes() == before and not (tmp_path / "safe.sql").exists()


def test_the_task_refuses_a_link_to_the_input_in_one_line_with_exit_2(victim, tmp_path):
    before = victim.read_bytes()
    link = tmp_path / "link.sql"
    link.symlink_to(victim)
    done = invoke("staging.db.sanitize", str(victim), str(link), tmp_path=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
    assert "is the input" in " ".join((done.stdout + done.stderr).split())  # rich wraps lines
    assert victim.read_bytes() == before


def test_stdout_appended_to_the_input_is_refused(victim, tmp_path):
    before = victim.read_bytes()
    with open(victim, "ab") as appended:
        done = subprocess.run([sys.executable, "-m", "invoke", "staging.db.sanitize", str(victim),
                               "-"], cwd=ROOT, stdout=appended, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "STAGING_SANITIZE_SALT": "t" * 32}, timeout=120)
    assert done.returncode == 2 and "is the input" in " ".join(done.stderr.split())
    assert victim.read_bytes() == before


def test_an_output_inside_a_directory_dump_is_refused(tmp_path, policy):
    folder = tmp_path / "prod.dir"
    folder.mkdir()
    (folder / "toc.dat").write_bytes(b"PGDMP")
    with pytest.raises(OutputError, match="inside the input"):
        sanitize_file(folder, folder / "safe.sql", policy, SALT)
    assert sorted(p.name for p in folder.iterdir()) == ["toc.dat"]


@pytest.mark.parametrize("content", [b"hello world\n" * 3, b"", bytes(range(256)) * 40])
def test_load_dump_of_a_file_that_is_not_a_dump_says_so_before_connecting(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(DumpFormatError, match="is not pg_dump output"):
        loaddump.load_dump("postgresql://nobody@127.0.0.1:1/never", path)  # no connection made


def test_a_line_over_the_limit_is_refused_naming_it_and_read_only_up_to_the_limit():
    limit = 1 << 20
    dump = make_dump(sample_rows())
    at = dump.index(b"confidential words 2-1")
    long_line = dump[:at] + b"x" * (3 * limit) + dump[at:]
    line = long_line[:at].count(b"\n") + 1
    raw = io.BytesIO(long_line)
    with pytest.raises(DumpLineTooLongError, match=f"line {line} is longer than 1 MiB"):
        sanitizer = Sanitizer(__import__("replica.data.dumps.policy", fromlist=["load"]).load(
            ROOT / "db" / "sanitize.yml"), SALT)
        sanitizer._run(LineSource(raw, max_line=limit), io.BytesIO(), None)
    assert raw.tell() <= at + 2 * limit  # it stopped reading just past the limit


def test_lines_outside_copy_blocks_are_limited_too():
    source = LineSource(io.BytesIO(b"short\n" + b"y" * 5000 + b"\n"), max_line=1000)
    assert next(source) == b"short\n"
    with pytest.raises(DumpLineTooLongError, match="line 2 is longer"):
        next(source)


def test_a_200_mb_line_keeps_the_sanitizers_memory_flat(tmp_path):
    """A long COPY line is refused after 64 MiB, not read whole: peak memory (tracemalloc, in a
    subprocess) stays far below the line's size."""
    dump = make_dump(sample_rows())
    at = dump.index(b"confidential words 2-1")
    path = tmp_path / "long.sql"
    with open(path, "wb") as f:
        f.write(dump[:at])
        for _ in range(200):
            f.write(b"z" * (1 << 20))
        f.write(dump[at:])
    script = f"""
import tracemalloc, sys
tracemalloc.start()
from replica.data.dumps import policy
from replica.data.errors import DumpLineTooLongError
from replica.data.dumps.sanitize import sanitize_file
try:
    sanitize_file({str(path)!r}, {str(tmp_path / "out.sql")!r}, policy.load("db/sanitize.yml"),
                  b"s" * 32, workers=0)
except DumpLineTooLongError as error:
    print(tracemalloc.get_traced_memory()[1] >> 20, error)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    peak, message = done.stdout.split(" ", 1)
    assert "longer than 64 MiB" in message
    assert int(peak) < 150  # MiB: the 64 MiB it read and a copy, not the 200 MB line (and more)


def test_load_dump_feeds_a_long_line_in_pieces():
    sink = io.BytesIO()
    line = b"SELECT '" + b"q" * (3 * loaddump.FEED_PIECE) + b"';\n"
    stream = io.BytesIO(b"ALTER TABLE t OWNER TO prod;\n" + line + b"-- PostgreSQL database dump complete\n")
    writes = []
    sink.write = lambda piece: writes.append(len(piece))  # type: ignore[method-assign]
    assert loaddump._feed(stream, sink) is True
    assert max(writes) <= loaddump.FEED_PIECE and sum(writes) == len(line) + 37
