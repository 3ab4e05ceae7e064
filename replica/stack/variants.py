"""Staging's declared set-up and the variants it may also run as, as replica profiles.

`staging.declared.yml` says what staging runs (`database_tls: require`, ...) and, under `variants`,
the other values it is allowed (the runbook's "Redis disabled", Neon's pooled endpoint). Each value
the replica can reproduce maps to one profile (SETTING_PROFILES). The default gate runs the
declared set-up as the replica's own app and every variant as an extra app container of the same
image beside it (`app-<variant>` in docker-compose.staging.yml, compose profile `variants`),
sharing the stack's database, Redis and mocks, left running so the next gate finds them warm.

    >>> [(v.name, v.profiles) for v in plan({"database_tls": "require", "redis": "enabled",
    ...     "database_endpoint": "direct", "variants": {"redis": "disabled"}})]
    [('redis-off', ('tls', 'redis-off'))]
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import profiles as profiles_module
from .declared import read as read_declared
from ..core.errors import ConfigError
from . import state

# A declared value the replica reproduces -> the profile that does it (the other values are the
# replica's plain set-up: TLS off, Redis on, the direct endpoint).
SETTING_PROFILES = {"database_tls": {"require": "tls"}, "redis": {"disabled": "redis-off"},
                    "database_endpoint": {"pooled": "pooled"}}
COMPOSE_PROFILE = "variants"
SERVICE_PREFIX = "app-"
VARIANTS_KEY = "variants"


@dataclass(frozen=True)
class Variant:
    """One configuration staging may run as: the declared one with `setting` set to `value`."""

    name: str                       # the profile that makes the difference, e.g. "pooled"
    setting: str                    # in staging.declared.yml, e.g. "database_endpoint"
    value: str                      # e.g. "pooled"
    profiles: tuple[str, ...]       # what its app runs with
    note: str = ""                  # what of the declared set-up it does not carry, and why
    pooler_tls: bool = False        # PgBouncer itself serves the declared TLS (no db-proxy before it)

    @property
    def service(self) -> str:
        return f"{SERVICE_PREFIX}{self.name}"

    def describe(self) -> str:
        return f"{self.setting}: {self.value}" + (f"; {self.note}" if self.note else "")


def declared_profiles(declared: dict) -> list[str]:
    """Return the profiles that make the replica run what staging declares."""
    return [profile for setting, values in SETTING_PROFILES.items()
            for value, profile in values.items() if str(declared.get(setting)) == value]


def plan(declared: dict) -> list[Variant]:
    """Return the variants `declared` allows; an entry the replica cannot run is an error naming it."""
    raw = declared.get(VARIANTS_KEY) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"staging.declared.yml: `{VARIANTS_KEY}` must map a setting to the "
                          "value(s) staging may also run with", hint="e.g. variants: {redis: disabled}")
    primary = declared_profiles(declared)
    variants = []
    for setting, values in raw.items():
        for value in values if isinstance(values, list) else [values]:
            variants.append(_variant(declared, primary, str(setting), str(value)))
    return variants


def _variant(declared: dict, primary: list[str], setting: str, value: str) -> Variant:
    profile = SETTING_PROFILES.get(setting, {}).get(value)
    if profile is None:
        choices = ", ".join(f"{s}: {v}" for s, vs in SETTING_PROFILES.items() for v in vs)
        raise ConfigError(f"staging.declared.yml: variant {setting}: {value} is not one the "
                          "replica can run", hint=f"variants can be: {choices}")
    if str(declared.get(setting)) == value:
        raise ConfigError(f"staging.declared.yml: variant {setting}: {value} is what staging "
                          "already declares", hint=f"remove it from `{VARIANTS_KEY}`")
    wanted = declared_profiles({**declared, setting: value})
    names, note, pooler_tls = _sharing_the_stack(wanted, primary)
    profiles_module.resolve(names)  # conflicting profiles: an error naming them
    return Variant(profile, setting, value, tuple(names), note, pooler_tls)


POOLER_TLS = "tls"  # the one db-proxy profile PgBouncer can serve itself (client_tls_sslmode)


def _sharing_the_stack(wanted: list[str], primary: list[str]) -> tuple[list[str], str, bool]:
    """Drop what a variant cannot share with the replica's own app; say whether the pooler serves TLS.

    There is one db-proxy (TLS, latency, cold start), and its upstream is the replica's app's: db,
    or PgBouncer when the declared endpoint is pooled. A variant on the other endpoint cannot pass
    through it, so it connects without the proxy's profiles (the replica's own app checks those),
    except TLS on the way to the pooler: PgBouncer serves it itself, as Neon's pooled endpoint does.
    """
    catalogue = profiles_module.catalogue()
    pooled = {name for name, p in catalogue.items() if "pooled" in p.compose_profiles}
    if bool(pooled & set(wanted)) == bool(pooled & set(primary)):
        return wanted, "", False
    proxied = [n for n in wanted if "dbproxy" in catalogue[n].compose_profiles]
    if not proxied:
        return wanted, "", False
    to_pooler = bool(pooled & set(wanted))
    pooler_tls = to_pooler and POOLER_TLS in proxied
    dropped = [n for n in proxied if not (pooler_tls and n == POOLER_TLS)]
    notes = ["TLS served by PgBouncer itself"] if pooler_tls else []
    if dropped:
        endpoint = "the pooler" if to_pooler else "db"
        notes.append(f"without {', '.join(dropped)}: the stack's db-proxy does not front {endpoint}")
    return [n for n in wanted if n not in proxied], "; ".join(notes), pooler_tls


def for_root(root: Path) -> list[Variant]:
    """Return the variants staging.declared.yml under `root` allows."""
    return plan(read_declared(root))


def primary_profiles(root: Path) -> list[str]:
    """Return the profiles of staging's declared set-up (what the default gate runs)."""
    return declared_profiles(read_declared(root))


BESIDE_FILE = state.VARIANTS_FILE


def remember_beside(settings, services: list[str]) -> None:
    """Record the services the gate's variants run beside the replica (`up` leaves them running)."""
    path = settings.state_dir / BESIDE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"services": services}, indent=2) + "\n")


def beside(settings) -> set[str]:
    """Return the services the gate's variants last ran beside the replica."""
    try:
        return set(json.loads((settings.state_dir / BESIDE_FILE).read_text())["services"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()
