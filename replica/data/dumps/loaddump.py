"""Load a dump into a database aside, then swap it in: a bad dump never touches the live data."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import BinaryIO

from ..db import databases as dbs
from .. import pgtools
from .dumpformat import DUMP_COMPLETE
from .archives import check_header, open_plain
from ..errors import TruncatedDumpError

SKIPPED = (b"ALTER ", b"GRANT ", b"REVOKE ")  # ownership and privileges name production roles
FEED_PIECE = 1 << 20


def load_dump(url: str, path: str | Path, max_major: int = 18) -> float:
    """Restore a dump into a new database, then swap it in; on failure the live one is intact."""
    started, path = time.perf_counter(), Path(path)
    check_header(path, max_major)
    with dbs.built_aside(url, "_loading") as loading_url:
        _restore_into(loading_url, path, max_major)
    return time.perf_counter() - started


def _restore_into(url: str, path: Path, max_major: int) -> None:
    psql = pgtools.loading_psql(url, max_major)
    proc = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    complete = False
    try:
        with open_plain(path, max_major) as stream:
            complete = _feed(stream, proc.stdin)
    except BrokenPipeError:
        pass  # psql stopped at the first error: its stderr says which
    except BaseException:
        proc.kill()  # abort psql's transaction: nothing half-loaded is committed
        raise
    finally:
        if not complete:
            proc.kill()
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace").strip()
        code = proc.wait()
    if code == 0 and not complete:
        raise TruncatedDumpError(f"{path} ends without pg_dump's closing line: it is truncated; "
                                 "nothing was loaded", hint="take the dump again")
    if code != 0:
        raise TruncatedDumpError(
            f"restoring {path} failed, the live database was not touched: "
            f"{err[-500:] or 'the dump ends early (truncated)'}",
            hint="fix or re-take the dump and try again")


def _feed(stream: BinaryIO, sink: BinaryIO) -> bool:
    """Copy dump lines to psql without ownership and privileges; tell whether the dump is complete.

    Lines are copied in pieces of at most FEED_PIECE bytes: a long one never sits in memory whole."""
    complete = skipping = False
    starts_line = True
    while piece := stream.readline(FEED_PIECE):
        if starts_line:
            skipping = piece.startswith(SKIPPED) and (b" OWNER TO " in piece
                                                      or not piece.startswith(b"ALTER "))
            complete = complete or piece.startswith(DUMP_COMPLETE)
        starts_line = piece.endswith(b"\n")
        if not skipping:
            sink.write(piece)
    return complete
