"""Which database a data task works on: the replica's own unless --url says otherwise (guarded)."""
from __future__ import annotations

from pathlib import Path

from ..stack import plan as stack_module
from ..core.errors import StackNotUpError
from ..stack.settings import Settings
from ..data.db.guards import check_target

POLICY = Path("db") / "sanitize.yml"


def fixtures_dir(settings: Settings) -> Path:
    """Return the fixture cache shared by every replica of this checkout (.staging/fixtures)."""
    return settings.root / ".staging" / "fixtures"


def replica_url(settings: Settings) -> str | None:
    """Return the replica's database URL as `up` published it, or None if it never ran here."""
    stack = stack_module.load(settings)
    return stack.url("db") if stack and "db" in stack.ports else None


def database_url(settings: Settings, url: str | None, action: str,
                 force_remote: bool = False) -> str:
    """Return the URL to act on, refusing a non-local one unless force_remote."""
    own = replica_url(settings)
    if url is None:
        if own is None:
            raise StackNotUpError(f"replica {settings.name!r} has not been brought up here",
                                  hint="run `invoke staging.up` first, or pass --url")
        url = own
    check_target(url, action, own, force_remote)
    return url


def policy_path(settings: Settings, policy: str | None) -> Path:
    """Return the policy file: --policy, else db/sanitize.yml of this checkout."""
    return Path(policy) if policy else settings.root / POLICY
