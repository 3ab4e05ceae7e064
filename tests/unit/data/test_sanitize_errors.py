"""Bad input: every case is a specific error naming what is wrong, and nothing half-written."""
from __future__ import annotations

import io
import subprocess

import pytest

from replica.data import pgtools
from replica.data.dumps import policy as policy_module
from replica.data.errors import (DumpFormatError, DumpVersionError, PolicyError, TruncatedDumpError,
                                 UnclassifiedColumnError)
from replica.data.dumps.rows import NATIVE
from replica.data.dumps.sanitize import sanitize_file

from tests.unit.data.dumpmaker import SALT
from tests.unit.data.dumpmaker import make_dump, sample_rows


def policy_without(policy, table: str, column: str):
    tables = {t: dict(cols) for t, cols in policy.tables.items()}
    del tables[f"public.{table}"][column]
    return policy_module.Policy(tables, "test-policy.yml")


def test_an_unclassified_column_fails_naming_table_and_column(run, policy):
    rules = policy_without(policy, "transcript_segments", "speaker")
    with pytest.raises(UnclassifiedColumnError) as error:
        run(make_dump(sample_rows()), rules=rules)
    assert "transcript_segments.speaker" in str(error.value)
    assert "test-policy.yml" in str(error.value)


def test_a_table_missing_from_the_policy_fails_naming_it(run, policy):
    tables = {t: c for t, c in policy.tables.items() if t != "public.meetings"}
    with pytest.raises(PolicyError, match="public.meetings is not classified"):
        run(make_dump(sample_rows()), rules=policy_module.Policy(tables, "p.yml"))


def test_drop_removes_the_column_from_the_table_its_copy_list_and_its_rows(run, policy):
    tables = {t: dict(c) for t, c in policy.tables.items()}
    tables["public.users"]["display_name"] = policy_module.Rule("drop")
    out = run(make_dump(sample_rows()), rules=policy_module.Policy(tables)).decode()
    assert "display_name" not in out
    user_rows = [line for line in out.splitlines() if line.startswith("1\tperson") or
                 line.split("\t")[0] == "1" and "@example.com" in line]
    assert user_rows and all(len(line.split("\t")) == 6 for line in user_rows)


def test_null_on_a_not_null_column_is_refused(run, policy):
    tables = {t: dict(c) for t, c in policy.tables.items()}
    tables["public.users"]["email"] = policy_module.Rule("null")
    with pytest.raises(PolicyError, match="users.email is NOT NULL"):
        run(make_dump(sample_rows()), rules=policy_module.Policy(tables))


def test_a_dump_cut_inside_a_copy_block_is_truncated(run):
    dump = make_dump(sample_rows())
    cut = dump[:dump.index(b"confidential words 2-1")]
    with pytest.raises(TruncatedDumpError, match="ends inside the data of public.transcript_segments"):
        run(cut)


def test_a_dump_without_its_closing_line_is_truncated(run):
    with pytest.raises(TruncatedDumpError, match="truncated"):
        run(make_dump(sample_rows(), complete=False))


def test_a_dump_cut_inside_an_insert_is_truncated(run):
    dump = make_dump(sample_rows(), style="inserts")
    with pytest.raises(TruncatedDumpError):
        run(dump[:dump.index(b"confidential words 1-1") + 5])


def test_a_row_with_a_missing_field_names_its_line(run):
    dump = make_dump(sample_rows()).replace(b"\t0\t10\t2026", b"\t0\t2026", 1)
    with pytest.raises(TruncatedDumpError, match=r"line \d+: a row of public.transcript_segments "
                                                 r"has 7 fields, expected 8"):
        run(dump)


@pytest.mark.parametrize("native", [False, pytest.param(True, marks=pytest.mark.skipif(
    not NATIVE, reason="the compiled row loop is not built here"))])
def test_a_surplus_field_is_an_error_when_the_last_column_changes_too(run, policy, native):
    # When the last column is rewritten, the row is split in full: a surplus field must show as
    # one, not hide inside the last field.
    tables = {t: dict(cols) for t, cols in policy.tables.items()}
    tables["public.users"]["last_login_at"] = policy_module.Rule("hash")
    rules = policy_module.Policy(tables, "test-policy.yml")
    dump = make_dump(sample_rows()).replace(b"\tPerson Number1\t", b"\tPerson\tNumber1\t", 1)
    with pytest.raises(TruncatedDumpError, match=r"a row of public.users has 8 fields, expected 7"):
        run(dump, rules=rules, native=native)


@pytest.mark.parametrize("junk", [b"", b"hello world\n" * 20, bytes(range(256)) * 8])
def test_input_that_is_not_a_dump_is_refused(run, junk):
    with pytest.raises(DumpFormatError):
        run(junk)


def test_a_dump_from_a_newer_postgresql_is_refused_with_the_version(run):
    with pytest.raises(DumpVersionError, match="19, newer than the replica's PostgreSQL 18"):
        run(make_dump(sample_rows(), major=19))


def test_a_failed_run_leaves_no_output_file(tmp_path, policy):
    source = tmp_path / "in.sql"
    source.write_bytes(make_dump(sample_rows(), complete=False))
    target = tmp_path / "out.sql"
    with pytest.raises(TruncatedDumpError):
        sanitize_file(source, target, policy, SALT)
    assert list(tmp_path.iterdir()) == [source]


def test_a_custom_archive_from_a_newer_pg_dump_is_refused(tmp_path, policy):
    source = tmp_path / "future.dump"
    source.write_bytes(b"PGDMP" + bytes([1, 99, 0]) + b"\x04\x08\x01" + b"\x00" * 64)
    with pytest.raises(DumpVersionError, match="newer pg_dump"):
        sanitize_file(source, tmp_path / "out.sql", policy, SALT)


def test_gzip_input_is_read_transparently(tmp_path, policy, run):
    import gzip

    dump = make_dump(sample_rows())
    source = tmp_path / "in.sql.gz"
    source.write_bytes(gzip.compress(dump))
    sanitize_file(source, tmp_path / "out.sql", policy, SALT)
    assert (tmp_path / "out.sql").read_bytes() == run(dump)


def test_pg_restore_of_the_replicas_major_version_is_found():
    path = pgtools.find("pg_restore", 18)
    assert "18" in subprocess.run([path, "--version"], capture_output=True, text=True).stdout


def test_large_objects_are_refused_because_no_policy_covers_them(run):
    dump = make_dump(sample_rows()).replace(
        b"\n--\n-- PostgreSQL database dump complete",
        b"\nSELECT pg_catalog.lo_open('16385', 131072);\n"
        b"SELECT pg_catalog.lowrite(0, '\\x736563726574');\n"
        b"\n--\n-- PostgreSQL database dump complete")
    with pytest.raises(PolicyError, match="large objects") as error:
        run(dump)
    assert "--no-large-objects" in error.value.hint
