"""Read any pg_dump output as plain SQL: custom and directory archives via pg_restore, gzip."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .dumpformat import DUMP_BANNER, version_of
from ..errors import DumpFormatError, DumpVersionError, TruncatedDumpError

CUSTOM_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"
HEADER_LINES = 40
HEADER_LINE_MAX = 4096


def kind(path: Path) -> str:
    """Return "custom", "directory", "gzip" or "plain" for a dump file."""
    if path.is_dir():
        if not (path / "toc.dat").is_file():
            raise DumpFormatError(f"{path} is a folder but not a pg_dump -Fd dump (no toc.dat)")
        return "directory"
    try:
        with open(path, "rb") as f:
            head = f.read(5)
    except OSError as error:
        raise DumpFormatError(f"cannot read {path}: {error.strerror}") from None
    if head.startswith(CUSTOM_MAGIC):
        return "custom"
    return "gzip" if head.startswith(GZIP_MAGIC) else "plain"


@contextmanager
def open_plain(path: str | Path, max_major: int = 18) -> Iterator[BinaryIO]:
    """Yield a binary stream of the dump as plain SQL; archives go through pg_restore -f -."""
    path = Path(path)
    found = kind(path)
    if found == "plain":
        with open(path, "rb", buffering=1 << 20) as f:
            yield f
    elif found == "gzip":
        import gzip  # here and below: a plain dump, the common case, needs neither

        with gzip.open(path, "rb") as f:
            yield f
    else:
        with _pg_restore_stream(path, max_major) as f:
            yield f


@contextmanager
def _pg_restore_stream(path: Path, max_major: int) -> Iterator[BinaryIO]:
    import subprocess

    from .. import pgtools

    proc = subprocess.Popen([pgtools.find("pg_restore", max_major), "-f", "-", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=1 << 20)
    failure = None
    try:
        yield proc.stdout
        while proc.stdout.read(1 << 20):  # drain, so pg_restore can finish (in flat memory)
            pass
    except Exception as error:  # pg_restore's own complaint, if any, is the real cause
        failure = error
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace").strip()
        code = proc.wait()
    if code != 0 and err:
        raise archive_error(path, err, max_major) from None
    if failure is not None:
        raise failure


def archive_error(path: Path, stderr: str, max_major: int) -> Exception:
    """Translate pg_restore's complaint about an archive into a DumpError."""
    if "unsupported version" in stderr:
        return DumpVersionError(
            f"{path} is an archive from a newer pg_dump than the replica's PostgreSQL {max_major}",
            hint=f"dump again with pg_dump {max_major}; pg_restore said: {stderr[-300:]}")
    return TruncatedDumpError(f"{path} is a corrupt or truncated archive: {stderr[-500:]}",
                              hint="take the dump again with pg_dump -Fc")


def check_header(path: str | Path, max_major: int = 18) -> None:
    """Refuse input that is not pg_dump output, or whose header says it comes from a newer
    PostgreSQL or pg_dump."""
    banner = False
    with open_plain(path, max_major) as stream:
        for _ in range(HEADER_LINES):
            line = stream.readline(HEADER_LINE_MAX)  # a binary file may have no newline at all
            banner = banner or line.startswith(DUMP_BANNER)
            found = version_of(line)
            if found and found[1] > max_major:
                raise DumpVersionError(
                    f"{path} was made by {found[0]} {found[1]}, newer than the replica's "
                    f"PostgreSQL {max_major}", hint=f"dump again with pg_dump {max_major}")
    if not banner:
        raise DumpFormatError(f"{path} is not pg_dump output (no '-- PostgreSQL database dump' "
                              "banner at its top)",
                              hint="pass a file written by pg_dump: plain SQL, .sql.gz, -Fc or -Fd")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Tell whether two paths are one file (by inode, after resolving links)."""
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False
