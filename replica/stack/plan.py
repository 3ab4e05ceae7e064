"""A replica's stack as compose will run it: images, ports, the app's environment, active services."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Callable
from datetime import datetime, timezone

from . import credentials, declared, envprofile, ports, profiles as profiles_module
from .state import APP_ENV, COMPOSE_ENV, STACK_FILE
from .profiles import Profile
from .services import PROFILE_SERVICES, SERVICES, URL_SCHEMES, compose_variable
from .settings import DB_MAX_CONNECTIONS, EMBEDDED_POSTGRES_VERSION, Settings, health_compose_env

# Compose variables a profile may set, and their values when no profile does.
PROFILE_DEFAULTS = {"MOCK_OPENAI_PROFILE": "", "MOCK_OPENAI_FAULT_PATHS": "", "DB_PROXY_LATENCY_MS": "0",
                    "DB_PROXY_COLD_START_MS": "0", "DB_PROXY_IDLE_S": "300",
                    "DB_PROXY_TLS": "off", "PGBOUNCER_CLIENT_TLS": "off", "APP_CPUS": "0", "APP_MEM_LIMIT": "0",
                    "APP_HEALTH_PATH": "/health/ready"}

# (settings, compose profiles) -> the image variables: BASE_IMAGE, each service's tag, CA_BUNDLE
ImageEnvironment = Callable[[Settings, list[str]], dict[str, str]]


@dataclass(frozen=True)
class Stack:
    """Everything `up` decided: which services run, on which ports, from which images."""

    settings: Settings
    services: list[str]
    ports: dict[str, int]
    compose_env: dict[str, str]
    app_env: dict[str, str]
    profiles: tuple[str, ...] = ()

    def url(self, service: str) -> str:
        return service_url(service, self.ports[service], self.compose_env)


def service_url(service: str, port: int, compose_env: dict[str, str]) -> str:
    """Return the URL a user on this machine reaches a service at."""
    if service == "db":
        # hostaddr pins the address: PGHOSTADDR or a PGSERVICE file could otherwise send libpq
        # (and every reset, seed or restore of the replica) to another server
        return (f"postgresql://{compose_env['DB_USER']}:{compose_env['DB_PASSWORD']}"
                f"@127.0.0.1:{port}/{compose_env['DB_NAME']}?hostaddr=127.0.0.1")
    if service == "redis" and compose_env.get("REDIS_PASSWORD"):
        return f"redis://:{compose_env['REDIS_PASSWORD']}@127.0.0.1:{port}/0"
    return f"{URL_SCHEMES[service]}://127.0.0.1:{port}"


def prepare(settings: Settings, own_ports: set[int], profiles: list[Profile],
            env: dict[str, str] | None, image_env: ImageEnvironment,
            remote_engine: bool = False) -> Stack:
    """Decide the stack for `up` and write the files compose reads (.staging/<replica>/).

    image_env gives the image variables for the chosen compose profiles (the engine's
    replica/engine/images.py image_environment: it may build the base image, once). The ports
    chosen are this machine's; on a remote engine they are its tunnels' ends (published_port).
    """
    overrides = {k: v for profile in profiles for k, v in profile.app_env.items()}
    overrides.update(env or {})
    probe = envprofile.load_profile(settings.root, overrides, {"APP_URL": "http://127.0.0.1"})
    services = [s for s in SERVICES if s != "redis" or envprofile.redis_enabled(probe)]
    compose_profiles = ["redis"] if "redis" in services else []
    compose_profiles += sorted({p for profile in profiles for p in profile.compose_profiles})
    chosen = ports.resolve_ports(settings, services, own_ports)
    services += [PROFILE_SERVICES[p] for p in compose_profiles if p in PROFILE_SERVICES]
    app_env, db_credentials, upstream = app_environment(
        settings, profiles, env, service_url("app", chosen["app"], {}))
    generated = credentials.replica_secrets(settings)
    compose_env = {
        "STAGING_PROJECT": settings.project,
        "COMPOSE_PROFILES": ",".join(compose_profiles),
        **image_env(settings, compose_profiles),
        "APP_COMMAND": declared.app_command(settings.root),
        "PG_MAJOR": settings.pg_major,
        "EMBEDDED_POSTGRES_VERSION": EMBEDDED_POSTGRES_VERSION,
        "DB_MAX_CONNECTIONS": str(DB_MAX_CONNECTIONS),
        **db_credentials,
        "OPENAI_API_KEY": app_env.get("OPENAI_API_KEY", ""),
        "REDIS_PASSWORD": generated["REDIS_PASSWORD"],
        **PROFILE_DEFAULTS,
        **health_compose_env(),
        **{k: v for profile in profiles for k, v in profile.compose_env.items()},
        "DB_PROXY_UPSTREAM": upstream,
        "APP_ENV_FILE": str(settings.state_dir / APP_ENV),
        **{compose_variable(s, "PORT"): published_port(chosen.get(s, 0), remote_engine)
           for s in SERVICES},
    }
    for name, values in ((APP_ENV, app_env), (COMPOSE_ENV, compose_env)):  # both hold secrets
        credentials.make_private(settings.state_dir / name)
        envprofile.write_env_file(settings.state_dir / name, values)
    stack = Stack(settings, services, chosen, compose_env, app_env,
                  tuple(profile.name for profile in profiles))
    _write_record(stack)
    return stack


def published_port(chosen: int, remote_engine: bool) -> str:
    """The port the engine publishes a service on: the chosen one, or on a remote engine "0", a free
    one its host picks (read back after `up`; replica/engine/reach.py tunnels the chosen one to it)."""
    return "0" if remote_engine else str(chosen)


def app_environment(settings: Settings, profiles: list[Profile], env: dict[str, str] | None,
                    app_url: str) -> tuple[dict[str, str], dict[str, str], str]:
    """Return (the app's environment, the database credentials, db-proxy's upstream) for profiles.

    The replica's own app and each variant app of the gate (replica/stack/variants.py) get theirs here.
    """
    overrides = {k: v for profile in profiles for k, v in profile.app_env.items()}
    overrides.update(env or {})
    app_env = envprofile.load_profile(settings.root, overrides, {"APP_URL": app_url})
    app_env.setdefault("GIT_SHA", _git_sha(settings))
    db_credentials = envprofile.database_credentials(app_env)
    direct = profiles_module.direct_route(app_env["DATABASE_URL"], list(profiles))
    app_env["DATABASE_URL"], upstream = profiles_module.database_route(app_env["DATABASE_URL"],
                                                                        list(profiles))
    # the user's own value wins, even an empty `--env DATABASE_DIRECT_URL=` (staging without one)
    if direct and "DATABASE_DIRECT_URL" not in overrides:
        app_env["DATABASE_DIRECT_URL"] = app_env.get("DATABASE_DIRECT_URL") or direct
    profiles_module.check_replica_databases(app_env)
    generated = credentials.replica_secrets(settings)
    app_env["SECRET_KEY"] = app_env.get("SECRET_KEY") or generated["SECRET_KEY"]  # the user's wins
    app_env["REDIS_URL"] = profiles_module.redis_route(app_env.get("REDIS_URL", ""),
                                                       generated["REDIS_PASSWORD"])
    return app_env, db_credentials, upstream


def load(settings: Settings) -> Stack | None:
    """Return the stack `up` last prepared for this replica, or None if it never ran here."""
    try:
        record = json.loads((settings.state_dir / STACK_FILE).read_text())
    except (OSError, ValueError):
        return None
    return Stack(settings, record["services"], record["ports"], record["compose_env"],
                 record["app_env"], tuple(record.get("profiles", ())))


def _write_record(stack: Stack) -> None:
    record = {"services": stack.services, "ports": stack.ports, "compose_env": stack.compose_env,
              "app_env": stack.app_env, "profiles": list(stack.profiles),
              "prepared_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = stack.settings.state_dir / STACK_FILE
    credentials.write_private(path, json.dumps(record, indent=2) + "\n")


def _git_sha(settings: Settings) -> str:
    """Return the last commit that changed what the app image holds (+ "-dirty" if edited since).

    Not HEAD: a commit elsewhere (docs, tests) would change the app's environment and so make
    every pre-push `up` recreate the app container for nothing.
    """
    paths = ["app", "db/migrations", "docker/python"]
    git = ["git", "-C", str(settings.root)]
    done = subprocess.run([*git, "log", "-1", "--format=%h", "--abbrev=12", "--", *paths],
                          capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        return "unknown"
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "--", *paths],
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + ("-dirty" if dirty else "")
