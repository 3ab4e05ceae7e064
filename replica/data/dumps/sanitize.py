"""Stream a pg_dump plain-text dump through the policy: constant memory, fail closed.

    with open("prod.sql", "rb") as src, open("safe.sql", "wb") as dst:
        Sanitizer(policy.load("db/sanitize.yml"), salt).run(src, dst)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from . import dumpformat as fmt, inserts, schema, source, statements
from ..errors import DumpFormatError, DumpVersionError, OutputError, PolicyError, TruncatedDumpError
from ..fakes import Fakes
from .policy import Policy, qualify
from .rows import NATIVE, copy_rewriter, insert_rewriter
from .source import LineSource

if TYPE_CHECKING:
    from .parallel import Workers

BANNER_WITHIN = 10  # lines in which pg_dump's banner must appear
THREADS_FROM = 16 << 20    # input bytes from which the compiled loop runs on several threads
PROCESSES_FROM = 32 << 20  # ... and the pure-Python loop (no compiler at install) on processes


class Stats:
    """What a run saw: lines read and rows per table."""

    def __init__(self) -> None:
        self.lines = 0
        self.rows: dict[str, int] = {}
        self.dropped: dict[str, int] = {}  # statements left out, by kind

    def drop(self, what: str) -> None:
        self.dropped[what] = self.dropped.get(what, 0) + 1


class Sanitizer:
    """Rewrite one dump at a time by a policy and a secret salt."""

    def __init__(self, policy: Policy, salt: bytes, max_major: int = 18, workers: int = 0,
                 native: bool = NATIVE):
        self.policy = policy
        self.native = native
        self.salt = salt
        self.fakes = Fakes(salt)
        self.schema = schema.SchemaPolicy(policy, self.fakes)
        self.max_major = max_major
        self.workers = workers
        self.columns: dict[str, list[str]] = {}  # from CREATE TABLE, for INSERTs without a list

    def run(self, src: BinaryIO, dst: BinaryIO) -> Stats:
        """Sanitize src into dst; raise a DumpError or PolicyError on anything unexpected."""
        pool = None
        if self.workers > 1:
            from .parallel import Workers  # not imported for small dumps: start-up counts there

            pool = Workers(self.policy, self.salt, self.workers, processes=not self.native)
        try:
            return self._run(LineSource(src), dst, pool)
        finally:
            if pool:
                pool.close()

    def _run(self, lines: LineSource, dst: BinaryIO, pool: "Workers | None") -> Stats:
        stats = Stats()
        banner = complete = False
        for line in lines:
            n = stats.lines = lines.line_no
            if line.startswith(b"COPY "):
                self._copy_block(line, n, lines, dst, stats, pool)
                continue
            if line.startswith(b"CREATE ") and fmt.CREATE_TABLE.match(line.rstrip(b"\r\n")):
                dst.write(self._create_table(line, lines))
                continue
            if line.startswith(fmt.INSERT_START):
                dst.write(self._insert(line, n, lines, stats))
                continue
            if line.startswith(b"--"):
                banner = banner or line.startswith(fmt.DUMP_BANNER)
                complete = complete or line.startswith(fmt.DUMP_COMPLETE)
                self._check_version(line)
            elif not banner and (line.strip() or n >= BANNER_WITHIN):
                raise DumpFormatError("the input is not a pg_dump dump (no '-- PostgreSQL "
                                      "database dump' banner at the top)",
                                      hint="pass a file written by pg_dump (plain or -Fc)")
            elif line.startswith(b"\\"):
                schema.check_meta_command(line, n)
            elif line.strip():
                line = self._statement(line, n, lines, stats)
            dst.write(line)
        if not banner:
            raise DumpFormatError("the input is not a pg_dump dump (it is empty or has no banner)")
        if not complete:
            raise TruncatedDumpError(
                f"the dump ends at line {stats.lines} without pg_dump's closing "
                "'-- PostgreSQL database dump complete': it is truncated",
                hint="take the dump again; nothing was written")
        return stats

    def _statement(self, first: bytes, n: int, lines: LineSource, stats: Stats) -> bytes:
        """Return a schema statement as the policy has it (b"" when it is left out), or refuse it."""
        text = statements.read(first, lines, lines.max_line, n).decode("utf-8", "surrogateescape")
        kept, dropped = self.schema.statement(text, n)
        if dropped:
            stats.drop(dropped)
        return kept.encode("utf-8", "surrogateescape")

    def _check_version(self, line: bytes) -> None:
        found = fmt.version_of(line)
        if found and found[1] > self.max_major:
            who, major = found
            raise DumpVersionError(
                f"the dump was made by {who} {major}, newer than the replica's PostgreSQL "
                f"{self.max_major}",
                hint=f"dump again with pg_dump {self.max_major} (the replica's db container has "
                     "one: `invoke staging.shell --service db`)")

    def _copy_block(self, header: bytes, n: int, lines: LineSource, dst: BinaryIO,
                    stats: Stats, pool: "Workers | None") -> None:
        match = fmt.COPY_HEADER.match(header)
        if not match:
            raise TruncatedDumpError(f"line {n}: cannot read this COPY header")
        table = qualify(fmt.unquote(match.group(1).decode()))
        columns = [fmt.unquote(c) for c in fmt.identifiers(match.group(2).decode())]
        rules = self.policy.rules_for(table, columns)
        kept = [c for c, r in zip(columns, rules) if r.action != "drop"]
        dst.write(b"COPY %s (%s) FROM stdin;\n" % (
            match.group(1), ", ".join(inserts.quote_ident(c) for c in kept).encode()))
        rewrite = copy_rewriter(table, rules, self.fakes, self.native)
        count = 0
        while data := lines.chunk():
            rows, marker, rest, newlines = source.split_rows(data)
            first = lines.line_no + 1
            lines.line_no += newlines
            count += newlines
            if rewrite is None:
                dst.write(rows)
            elif pool is not None:
                pool.submit(dst, table, columns, rewrite, rows, first)
            else:
                dst.write(rewrite(rows, first))
            if marker is not None:
                if pool is not None:
                    pool.drain(dst)
                dst.write(marker)
                lines.count(marker)
                lines.unread(rest)
                stats.rows[table] = stats.rows.get(table, 0) + count
                stats.lines = lines.line_no
                return
        raise TruncatedDumpError(f"the dump ends inside the data of {table} (COPY at line {n} "
                                 "has no closing \\.): it is truncated",
                                 hint="take the dump again; nothing was written")

    def _create_table(self, first: bytes, lines: LineSource) -> bytes:
        table = qualify(fmt.unquote(fmt.CREATE_TABLE.match(first.rstrip(b"\r\n")).group(1).decode()))
        body, closing = [], None
        for line in lines:
            if line.startswith(b")"):
                closing = line
                break
            body.append(line)
        if closing is None:
            raise TruncatedDumpError(f"the dump ends inside CREATE TABLE {table}")
        if not closing.rstrip().endswith(b";"):  # INHERITS (...), PARTITION BY ..., WITH (...)
            closing = statements.read(closing, lines, lines.max_line, lines.line_no)
        named = [(fmt.column_name(line), line) for line in body]
        columns = [name for name, _ in named if name]
        rules = dict(zip(columns, self.policy.rules_for(table, columns)))
        for name, line in named:
            if name and rules[name].action == "null" and b" NOT NULL" in line:
                raise PolicyError(f"{self.policy.source}: {table}.{name} is NOT NULL, so it "
                                  "cannot be `null`", hint="classify it `fake <kind>` or `hash`")
        self.columns[table] = columns
        named = [(name, self.schema.column_line(line, rules[name]) if name else line)
                 for name, line in named]  # a DEFAULT follows its column's rule
        kept = [line for name, line in named if not name or rules[name].action != "drop"]
        if kept and kept[-1].rstrip().endswith(b","):
            kept[-1] = kept[-1].rstrip()[:-1] + b"\n"
        return first + b"".join(kept) + closing

    def _insert(self, first: bytes, n: int, lines: LineSource, stats: Stats) -> bytes:
        stmt = inserts.parse(inserts.read(first, n, lines, lines.max_line)
                             .decode("utf-8", "surrogateescape"), n)
        table = qualify(fmt.unquote(stmt.table))
        columns = stmt.columns or self.columns.get(table)
        if columns is None:
            raise DumpFormatError(f"line {n}: INSERT into {table} names no columns and the dump "
                                  "has no CREATE TABLE for it", hint="dump with --column-inserts")
        rules = self.policy.rules_for(table, columns)
        rewrite = insert_rewriter(table, rules, self.fakes)
        for row in stmt.rows:
            if len(row) != len(columns):
                raise TruncatedDumpError(f"line {n}: an INSERT row of {table} has {len(row)} "
                                         f"values, expected {len(columns)}")
        stmt.rows = [rewrite(row) for row in stmt.rows]
        if stmt.columns:
            stmt.columns = [c for c, r in zip(columns, rules) if r.action != "drop"]
        stats.rows[table] = stats.rows.get(table, 0) + len(stmt.rows)
        return stmt.render().encode("utf-8", "surrogateescape")


def sanitize_file(source_path, target, policy: Policy, salt: bytes, max_major: int = 18,
                  workers: int | None = None, native: bool = NATIVE) -> Stats:
    """Sanitize a dump file (plain, gzip, custom or directory) into a plain SQL file, atomically.

    A symlink (/dev/stdout is one, whatever stdout is redirected to) or a target that exists and
    is not a regular file (a pipe, a device) is written straight through: renaming over it would
    replace the link or the device, and a failed run shows as a non-zero exit instead."""
    import os
    from pathlib import Path

    from .archives import open_plain, same_file

    target = Path(target)
    if workers is None:
        workers = default_workers(Path(source_path), native)
    if target.is_dir():
        raise OutputError(f"{target} is a folder: give the sanitized file's path")
    refuse_overwriting(Path(source_path), target)
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {target}: there is no folder {target.parent}")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        with open_plain(source_path, max_major) as src, _writing(target, "wb") as dst:
            return Sanitizer(policy, salt, max_major, workers, native).run(src, dst)
    partial = target.with_name(f".{target.name}.partial")
    if same_file(source_path, partial):
        raise OutputError(f"the input {source_path} has the name of the partial file written "
                          f"first when sanitizing into {target}",
                          hint="rename the input or give another output; nothing was written")
    try:
        with open_plain(source_path, max_major) as src, \
                _writing(partial, "wb", buffering=1 << 20) as dst:
            stats = Sanitizer(policy, salt, max_major, workers, native).run(src, dst)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)  # a failed run leaves nothing half-sanitized behind
    return stats


def refuse_overwriting(source, target) -> None:
    """Refuse a target that is the source (by inode, links resolved: a symlink, a hard link,
    /dev/stdout appended to it) or inside a -Fd source folder, before anything is opened."""
    from .archives import same_file

    same = same_file(source, target)
    if same or (source.is_dir() and target.resolve().is_relative_to(source.resolve())):
        raise OutputError(f"{target} is {'the input' if same else 'inside the input'} {source}: "
                          "writing it would destroy the dump being read",
                          hint="give another path for the sanitized file; nothing was written")


def _writing(path, mode: str, **options) -> BinaryIO:
    """Open an output for writing, or say in one line why it cannot be (no traceback)."""
    try:
        return open(path, mode, **options)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}",
                          hint="check the path and its permissions; nothing was written") from None


def default_workers(path, native: bool = NATIVE) -> int:
    """Use every core for big inputs; a small dump is done before a pool would pay off."""
    import os

    threshold = THREADS_FROM if native else PROCESSES_FROM
    size = path.stat().st_size if path.is_file() else threshold
    return min(os.cpu_count() or 1, 8) if size >= threshold else 0
