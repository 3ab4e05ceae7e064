"""One deploy at a time per replica: an exclusive lock on a file, which the kernel releases with
the process (a killed deploy never leaves a stale lock); a second deploy waits, saying for whom."""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path


def describe(holder: dict) -> str:
    """Say who holds the lock: commit, since when, which process."""
    if not holder:
        return "another deploy"
    return (f"the deploy of {str(holder.get('commit', '?'))[:12]} (pid {holder.get('pid', '?')}, "
            f"since {holder.get('since', '?')})")


@contextmanager
def held(path: Path, commit: str, on_wait=lambda holder: None):
    """Hold the deploy lock at path for commit, waiting for a running deploy first.

    on_wait(holder) is called once before waiting, with what the holder wrote (maybe {}).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(_holder(path))
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"commit": commit, "pid": os.getpid(),
                                 "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()


def _holder(path: Path) -> dict:
    try:
        found = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
