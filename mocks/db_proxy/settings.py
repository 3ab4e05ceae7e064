"""Settings of db-proxy, read once: defaults < DB_PROXY_* environment < command-line flags."""
from __future__ import annotations

import os
from dataclasses import dataclass

TLS_MODES = ("off", "require")
COLD_START_MODES = ("refuse", "delay")


class SettingsError(ValueError):
    """A setting from the environment or the command line is invalid."""


def parse_address(value: str, name: str) -> tuple[str, int]:
    """Split 'host:port' (the host may be empty for all interfaces) into a pair."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{name} must look like HOST:PORT, got {value!r}")
    return host or "0.0.0.0", int(port)


def _number(env: dict, name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {raw}")
    return value


def _choice(env: dict, name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """What a db-proxy process needs; build it with `from_env()` or by hand in tests.

    Scale to zero is on when cold_start_ms > 0: after idle_s without traffic (and no session inside
    a transaction) the "compute" suspends, closing every session; the next connection wakes it.
    """

    listen: tuple[str, int] = ("127.0.0.1", 5432)
    upstream: tuple[str, int] = ("127.0.0.1", 5433)
    latency_ms: float = 0
    cold_start_ms: float = 0
    idle_s: float = 300
    cold_start_mode: str = "refuse"
    tls: str = "off"

    @property
    def scale_to_zero(self) -> bool:
        return self.cold_start_ms > 0

    @classmethod
    def from_env(cls, env: dict | None = None, listen: str | None = None,
                 upstream: str | None = None) -> "Settings":
        """Build settings from DB_PROXY_* variables; explicit listen/upstream strings win."""
        env = os.environ if env is None else env
        listen = listen or env.get("DB_PROXY_LISTEN") or "127.0.0.1:5432"
        upstream = upstream or env.get("DB_PROXY_UPSTREAM")
        if not upstream:
            raise SettingsError("no upstream: pass --upstream HOST:PORT or set DB_PROXY_UPSTREAM")
        idle_s = _number(env, "DB_PROXY_IDLE_S", cls.idle_s)
        if idle_s == 0:
            raise SettingsError("DB_PROXY_IDLE_S must be positive")
        return cls(
            listen=parse_address(listen, "the listen address"),
            upstream=parse_address(upstream, "the upstream address"),
            latency_ms=_number(env, "DB_PROXY_LATENCY_MS", cls.latency_ms),
            cold_start_ms=_number(env, "DB_PROXY_COLD_START_MS", cls.cold_start_ms),
            idle_s=idle_s,
            cold_start_mode=_choice(env, "DB_PROXY_COLD_START_MODE", COLD_START_MODES),
            tls=_choice(env, "DB_PROXY_TLS", TLS_MODES),
        )
