"""Named snapshots of the live database, kept as template databases on the same server."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from . import databases as dbs, sequences
from ..errors import SnapshotError
from .reset import replace_from

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # whole name: fullmatch
INFIX = "_snap_"


@dataclass(frozen=True)
class Snapshot:
    """One snapshot: its name, size in bytes, and when it was taken (None if unknown)."""

    name: str
    size: int
    created_at: datetime | None

    def age(self, now: datetime | None = None) -> float | None:
        """Return the snapshot's age in seconds."""
        if self.created_at is None:
            return None
        return ((now or datetime.now(timezone.utc)) - self.created_at).total_seconds()


def validate(name: str) -> str:
    """Return name if it can name a snapshot; otherwise say what is allowed."""
    if not NAME.fullmatch(name or ""):
        raise SnapshotError(f"snapshot name {name!r} is not allowed",
                            hint="use 1-40 lowercase letters, digits, '-' or '_' (no '/', '.', "
                                 "spaces or other path characters)")
    return name


def database_for(live: str, name: str) -> str:
    return f"{live}{INFIX}{validate(name)}"


def take(url: str, name: str, replace: bool = False) -> Snapshot:
    """Copy the live database into a snapshot (its sessions are briefly disconnected)."""
    live = dbs.database_of(url)
    target = database_for(live, name)
    with dbs.admin(url) as conn:
        if dbs.exists(conn, target) and not replace:
            raise SnapshotError(f"snapshot {name!r} already exists",
                                hint="pick another name, or pass --replace to overwrite it")
        building = f"{live}_snapnew_{name}"[:63]
        dbs.drop(conn, building)
        with dbs.quiesced(conn, live):
            dbs.clone(conn, live, building)
        taken = datetime.now(timezone.utc)
        dbs.drop(conn, target)
        dbs.rename(conn, building, target)
        dbs.make_template(conn, target, json.dumps({"snapshot": name, "source": live,
                                                    "created_at": taken.isoformat()}))
    return next(s for s in listing(url) if s.name == name)


def restore(url: str, name: str) -> float:
    """Replace the live database with a snapshot; return seconds taken. Failure keeps it intact."""
    started = time.perf_counter()
    live = dbs.database_of(url)
    source = database_for(live, name)
    with dbs.admin(url) as conn:
        if not dbs.exists(conn, source):
            known = ", ".join(s.name for s in listing(url)) or "none yet"
            raise SnapshotError(f"there is no snapshot named {name!r} (known: {known})",
                                hint="list them with `invoke staging.db.snapshots`")
        with sequences.continued(conn, url):
            replace_from(conn, source, f"{live}_restoring", live, "FILE_COPY")
    return time.perf_counter() - started


def listing(url: str) -> list[Snapshot]:
    """Return the live database's snapshots, oldest first."""
    live = dbs.database_of(url)
    prefix = f"{live}{INFIX}"
    with dbs.admin(url) as conn:
        rows = dbs.listing(conn, prefix)
    found = []
    for datname, size, comment in rows:
        name = datname[len(prefix):]
        if not NAME.match(name):
            continue  # e.g. a half-built <name>_new left by an interrupted snapshot
        found.append(Snapshot(name, size, _created(comment)))
    return sorted(found, key=lambda s: (s.created_at is None, s.created_at or 0, s.name))


def _created(comment: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(json.loads(comment)["created_at"])
    except (TypeError, ValueError, KeyError):
        return None
