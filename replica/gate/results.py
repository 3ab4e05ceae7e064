"""Where a gate run keeps its evidence: results/<run>/ (gitignored), checked writable up front."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .errors import ResultsNotWritableError


def run_name(prefix: str = "validate") -> str:
    """Name a run by UTC time, sortable: validate-20261126T033500Z."""
    return f"{prefix}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"


def prepare_dir(path: Path) -> Path:
    """Create `path` and prove it can be written; raise ResultsNotWritableError if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ResultsNotWritableError(
            f"results directory {path} is not writable: {error.strerror or error}",
            hint="fix its permissions, or point STAGING_RESULTS_DIR at a writable folder") from None
    return path
