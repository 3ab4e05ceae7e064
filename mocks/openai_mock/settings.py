"""Settings of mock-openai, read once from the environment (defaults < env < CLI flags)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_API_KEY = "sk-staging-local"


def _env_int(name: str, default: int) -> int:
    """Read a positive integer from the environment, refusing anything else."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


class SettingsError(ValueError):
    """A setting from the environment or the command line is invalid."""


@dataclass(frozen=True)
class Settings:
    """What a mock-openai process needs to know; build it with `from_env()` or by hand in tests."""

    api_keys: frozenset[str] = field(default_factory=lambda: frozenset({DEFAULT_API_KEY}))
    profile: str = ""
    fault_paths: tuple[str, ...] = ()  # the start-up profile acts only on these path prefixes
    journal_size: int = 1000
    max_json_bytes: int = 8 * 1024 * 1024
    max_upload_bytes: int = 25 * 1024 * 1024
    access_log: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        """Build settings from MOCK_OPENAI_* variables, falling back to the defaults above."""
        keys_raw = os.environ.get("MOCK_OPENAI_API_KEYS", DEFAULT_API_KEY)
        keys = frozenset(k.strip() for k in keys_raw.split(",") if k.strip())
        if not keys:
            raise SettingsError("MOCK_OPENAI_API_KEYS is set but holds no key")
        return cls(
            api_keys=keys,
            profile=os.environ.get("MOCK_OPENAI_PROFILE", "").strip(),
            fault_paths=tuple(p.strip() for p in os.environ.get("MOCK_OPENAI_FAULT_PATHS", "").split(",")
                              if p.strip()),
            journal_size=_env_int("MOCK_OPENAI_JOURNAL_SIZE", cls.journal_size),
            max_json_bytes=_env_int("MOCK_OPENAI_MAX_JSON_BYTES", cls.max_json_bytes),
            max_upload_bytes=_env_int("MOCK_OPENAI_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            access_log=os.environ.get("MOCK_OPENAI_ACCESS_LOG", "") in {"1", "true", "yes"},
        )
