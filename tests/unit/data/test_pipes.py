"""Programs on pipes (replica/data/dumps/pipes.py): whose failure is reported, and that a program fed a
stream sees its end only when the writer succeeded."""
from __future__ import annotations

import pytest

from replica.data.errors import DataError, SourceError, TruncatedDumpError
from replica.data.dumps.pipes import PipeReader, feeding, reading
from replica.core.redact import Redactor

SECRET = "hunter2-pipes-secret"
FAILS = ["sh", "-c", f"echo partial; echo 'pg_dump: error: gone (password={SECRET})' >&2; exit 1"]


def test_a_reader_that_meets_an_early_end_reports_the_programs_failure():
    with pytest.raises(SourceError, match="pg_dump: error: gone") as raised:
        with reading(FAILS, {}, Redactor([SECRET]), "pg_dump of the source") as out:
            out.read()
            raise TruncatedDumpError("the dump ends early")  # what the sanitizer says then
    assert SECRET not in str(raised.value)


def test_a_reader_that_fails_first_stops_the_program_and_keeps_its_own_error():
    with pytest.raises(ValueError, match="policy says no"):
        with reading(["yes"], {}, Redactor(), "yes") as out:
            out.read(10)
            raise ValueError("policy says no")


def test_a_program_that_exits_non_zero_after_its_output_fails_the_read():
    with pytest.raises(SourceError, match="gone"):
        with reading(FAILS, {}, Redactor(), "pg_dump of the source") as out:
            assert out.read() == b"partial\n"


def test_a_fed_program_sees_the_end_only_when_the_writer_succeeds(tmp_path):
    marker = tmp_path / "committed"
    commits_at_end = ["sh", "-c", f"cat > /dev/null && touch {marker}"]
    with pytest.raises(ValueError):
        with feeding(commits_at_end, {}, Redactor(), "psql") as sink:
            sink.write(b"BEGIN; half of it\n")
            raise ValueError("the sanitizer stopped")
    assert not marker.exists()
    with feeding(commits_at_end, {}, Redactor(), "psql") as sink:
        sink.write(b"all of it\n")
    assert marker.exists()


def test_a_fed_program_that_stops_reading_reports_its_own_message():
    stops = ["sh", "-c", "head -c 1 > /dev/null; echo 'psql: ERROR: relation exists' >&2; exit 3"]
    with pytest.raises(DataError, match="psql: ERROR: relation exists"):
        with feeding(stops, {}, Redactor(), "loading") as sink:
            for _ in range(64):
                sink.write(b"x" * (1 << 20))


def test_a_pipe_reader_that_fails_still_drains_and_re_raises():
    def refuses(stream):
        stream.read(1)
        raise TruncatedDumpError("cannot read this")

    reader = PipeReader(refuses)
    for _ in range(16):  # far more than a pipe holds: the writer must not block
        reader.sink.write(b"y" * (1 << 20))
    with pytest.raises(TruncatedDumpError):
        reader.result()
