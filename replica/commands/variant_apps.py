"""The default gate's variants: start each app beside the replica's own, check each, name it.

Each variant (replica/stack/variants.py) is `app-<variant>` in docker-compose.staging.yml: the app's image
and command with its own environment (.staging/<replica>/app-<variant>.env) and port (chosen and
remembered as the replica's other ports are), sharing the stack's database, Redis and mocks. Its
compose variables go to .staging/<replica>/variants.env, read after compose.env. The containers stay
up after the gate, so a warm gate's `docker compose up` finds nothing to do.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..stack import credentials, envprofile, ports, profiles as profiles_module
from ..engine import health, images, reach, tunnels
from ..engine.location import locate
from ..stack import plan as stack_module, variants as variants_module
from ..engine.compose import Compose
from ..core import console
from ..core.errors import ConfigError, StagingError
from ..stack.services import PROFILE_SERVICES
from ..stack.services import compose_variable
from ..stack.variants import Variant
from ..gate import smoke
from ..gate.checklist import FAILED, VARIANT_PREFIX, Checklist
from ..stack import state

ENV_FILE = state.VARIANTS_ENV
START_TIMEOUT_S = 240   # two eventlet workers booting at load 20 on 2 cores take a minute
UNHEALTHY_GRACE_S = 20
SMOKE_MARK = "variant"  # the smoke suite's tests that show what a variant changes
CHECKED = "auth, API, live transcription on both workers, summary"


@dataclass(frozen=True)
class Started:
    """A variant app after `start`: its URL, or why it is not running."""

    variant: Variant
    url: str | None
    error: str | None = None


ITEM_PREFIX = VARIANT_PREFIX


def item_key(variant: Variant) -> str:
    return f"{ITEM_PREFIX}{variant.name}"


def item_title(variant: Variant) -> str:
    return f"Variant {variant.name} ({variant.setting}: {variant.value}): {CHECKED}"


def check_services(compose_file: Path, variants: list[Variant]) -> None:
    """Refuse a variant the compose file has no `app-<variant>` service for (exit 2, named)."""
    try:
        services = (yaml.safe_load(compose_file.read_text()) or {}).get("services") or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read {compose_file.name}: {error}") from None
    for variant in variants:
        if variants_module.COMPOSE_PROFILE not in (services.get(variant.service) or {}).get("profiles", []):
            raise ConfigError(
                f"variant {variant.name} cannot start: {compose_file.name} has no service "
                f"{variant.service} under compose profile {variants_module.COMPOSE_PROFILE}",
                hint=f"add one like app-pooled (`<<: *app`, profiles: [variants], its env_file and "
                     f"port variables {compose_variable(variant.service, 'ENV_FILE')}, "
                     f"{compose_variable(variant.service, 'PORT')})")


def start(stack, variants: list[Variant], timeout: float = START_TIMEOUT_S) -> list[Started]:
    """Start (or keep) every variant app beside the replica's; each failure names its variant."""
    return wait_ready(stack, launch(stack, variants, timeout), timeout)


def launch(stack, variants: list[Variant], timeout: float = START_TIMEOUT_S) -> list[Started]:
    """Create or keep the variants' containers without waiting for them (`up --detach`)."""
    if not variants:
        return []
    try:
        compose, services, urls = prepare(stack, variants)
        compose.run("up", "--detach", "--no-deps", *services, timeout=timeout)
        stale = outlived(health.service_states(health.engine_client(), stack.settings.project),
                         [v.service for v in variants], shared_services(stack))
        if stale:
            console.info(f"recreating {', '.join(stale)}: started before the services they share "
                         "were (re)created")
            compose.run("up", "--detach", "--no-deps", "--force-recreate", *stale, timeout=timeout)
    except StagingError as error:
        line = _one_line(str(error))
        return [Started(v, None, f"variant {v.name} did not start: {line}") for v in variants]
    return [Started(v, urls[v.name]) for v in variants]


def shared_services(stack) -> list[str]:
    """The replica's services a variant app reaches by name (database, Redis, the mocks)."""
    return [s for s in stack.services if s != "app" and not s.startswith(variants_module.SERVICE_PREFIX)]


def outlived(states: dict, variant_services: list[str], shared: list[str]) -> list[str]:
    """The variant apps kept from an earlier gate whose container started before a shared
    service's did: `up` with other profiles removed and re-created that service meanwhile (the
    TLS proxy under a profile without TLS), and eventlet's resolver in the app keeps the empty
    answer it got while the name was gone: the app never reaches its database again."""
    newest = max((states[s].started_at for s in shared if s in states and states[s].started_at),
                 default=None)
    return [s for s in variant_services if newest and s in states and states[s].started_at
            and states[s].started_at < newest]


def wait_ready(stack, launched: list[Started], timeout: float = START_TIMEOUT_S) -> list[Started]:
    """Wait until each launched variant app is ready (once the data is migrated); name each failure."""
    waiting = [s for s in launched if not s.error]
    if not waiting:
        return launched
    project = stack.settings.project
    states = _wait(project, [s.variant.service for s in waiting], timeout)
    checked = [s if s.error else replace(s, error=_failure(s.variant, states.get(s.variant.service),
                                                           project, timeout)) for s in launched]
    return _tunnelled(stack, checked, states)


def _tunnelled(stack, started: list[Started], states: dict) -> list[Started]:
    """On a remote engine, open the variants' own tunnel to the ports the engine picked for them."""
    ready = {s.variant.service: urlsplit(s.url).port for s in started if not s.error}
    try:
        reach.forward(stack.settings, ready, states, locate(), tunnels.VARIANTS)
    except StagingError as error:
        line = _one_line(str(error))
        return [s if s.error else replace(s, error=f"variant {s.variant.name} is not reachable: "
                                                    f"{line}") for s in started]
    return started


def prepare(stack, variants: list[Variant]) -> tuple[Compose, list[str], dict[str, str]]:
    """Write each variant's app environment and the compose variables; return what to start."""
    settings = stack.settings
    client = health.engine_client()
    where = locate()
    own = reach.ports_in_use(settings, health.service_states(client, settings.project), where)
    chosen = ports.resolve_ports(settings, [v.service for v in variants], own)
    compose_env, helpers, urls = {}, [], {}
    compose_profiles = {p for p in stack.compose_env.get("COMPOSE_PROFILES", "").split(",") if p}
    compose_profiles.add(variants_module.COMPOSE_PROFILE)
    for variant in variants:
        urls[variant.name] = stack_module.service_url("app", chosen[variant.service], {})
        chosen_profiles = profiles_module.resolve(list(variant.profiles))
        app_env, _, _ = stack_module.app_environment(settings, chosen_profiles, None, urls[variant.name])
        if variant.pooler_tls:  # PgBouncer serves the declared TLS itself: one pooler, so all its clients
            app_env["DATABASE_URL"] = profiles_module.with_tls(app_env["DATABASE_URL"])
            compose_env["PGBOUNCER_CLIENT_TLS"] = "require"
        path = settings.state_dir / state.variant_env(variant.service)
        credentials.make_private(path)
        envprofile.write_env_file(path, app_env)
        compose_env[compose_variable(variant.service, "PORT")] = stack_module.published_port(
            chosen[variant.service], where.remote)
        compose_env[compose_variable(variant.service, "ENV_FILE")] = str(path)
        needs = {p for profile in chosen_profiles for p in profile.compose_profiles}
        needs |= {"redis"} if envprofile.redis_enabled(app_env) else set()
        compose_profiles |= needs
        helpers += [PROFILE_SERVICES.get(p, p) for p in sorted(needs)
                    if PROFILE_SERVICES.get(p, p) not in stack.services]
    if "pgbouncer" in helpers and stack.compose_env.get("PGBOUNCER_IMAGE", "").endswith(":unused"):
        compose_env.update(images.pooler_image_tag(settings))
    compose_env["COMPOSE_PROFILES"] = ",".join(sorted(compose_profiles))
    path = settings.state_dir / ENV_FILE
    credentials.make_private(path)
    envprofile.write_env_file(path, compose_env)
    services = [*dict.fromkeys(helpers), *(v.service for v in variants)]
    variants_module.remember_beside(settings, services)
    compose = Compose(settings, (path,))
    if "pgbouncer" in helpers and not images.image_id(compose_env.get("PGBOUNCER_IMAGE")
                                                       or stack.compose_env["PGBOUNCER_IMAGE"]):
        compose.run("build", "pgbouncer", timeout=1800)
    return compose, services, urls


def _wait(project: str, services: list[str], timeout: float) -> dict:
    """Poll until every service is ready or has failed, or the time is up; return their states.

    Unhealthy is final only after UNHEALTHY_GRACE_S: docker keeps probing, and an app that was
    unhealthy while the gate reset and migrated the data recovers at its next probe.
    """
    client = health.engine_client()
    started = time.monotonic()
    while True:
        states = health.service_states(client, project)
        grace_over = time.monotonic() - started > UNHEALTHY_GRACE_S
        settled = [s for s in services if s in states and (
            states[s].ready or states[s].state in ("exited", "dead") or (states[s].broken and grace_over))]
        if len(settled) == len(services) or time.monotonic() - started > timeout:
            return states
        time.sleep(0.5)


def _failure(variant: Variant, state, project: str, timeout: float) -> str | None:
    """None when the variant's app is ready, else one line saying why, naming the variant."""
    if state is not None and state.ready:
        return None
    why = ("no container" if state is None else
           f"{state.state}, exit {state.exit_code}" if state.state == "exited" else
           f"{state.health} after {timeout:.0f} s" if state.health == "starting" else state.health)
    said = _last_health_output(project, variant.service)
    return f"variant {variant.name} did not start ({variant.service} {why})" + (f": {said}" if said else "")


def _last_health_output(project: str, service: str) -> str:
    try:
        client = health.engine_client()
        containers = client.containers.list(all=True, filters=health.service_filter(project, service))
    except StagingError:
        return ""
    if not containers:
        return ""
    checks = (containers[0].attrs["State"].get("Health") or {}).get("Log") or []
    output = checks[-1].get("Output", "") if checks else ""
    if not output:
        output = containers[0].logs(tail=1).decode("utf-8", "replace")
    return _one_line(output)[:400]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run_smoke(root: Path, started: Started, run_dir: Path, replica: str) -> tuple[int, Path]:
    """Run the smoke suite's variant subset against the variant's app."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return smoke.run(root, started.url, None, run_dir, replica, marks=SMOKE_MARK)


def hosts(project: str, started: list[Started]) -> dict[str, str]:
    """Return {hostname: variant} of the variant apps' containers (the error events' server_name)."""
    if not started:
        return {}
    states = health.service_states(health.engine_client(), project)
    return {states[s.variant.service].container_id[:12]: s.variant.name for s in started
            if s.variant.service in states and states[s.variant.service].container_id}


def record(checklist: Checklist, started: Started, code: int | None, run_dir: Path,
           errors: list[dict] = ()) -> None:
    """Record the variant's item: its start failure, else its smoke subset's verdict and errors."""
    variant = started.variant
    key = item_key(variant)
    checklist.item(key, item_title(variant))
    if started.error:
        checklist.record(key, FAILED, started.error)
        return
    report = run_dir / "smoke.json"
    tests = json.loads(report.read_text())["tests"] if report.is_file() else []
    if not tests:
        tail = " | ".join((run_dir / "smoke.log").read_text(errors="replace").strip().splitlines()[-3:])
        checklist.record(key, FAILED, f"variant {variant.name}: smoke subset ran no test "
                                      f"(pytest exit {code}): {tail}")
        return
    result, evidence = smoke.verdict(tests)
    if result != FAILED and errors:
        first = errors[0]
        result, evidence = FAILED, (f"{len(errors)} error event(s) during its checks, first: "
                                    f"{first.get('exception_type') or ''} "
                                    f"{first.get('exception_value') or first.get('message')}")
    failed = next((t for t in tests if t["outcome"] == "failed"), None)
    items = f" ({', '.join(failed['checklist'])})" if failed else ""
    note = f" [{variant.note}]" if variant.note else ""
    checklist.record(key, result, f"variant {variant.name}{items} at {started.url}: {evidence}{note}",
                     sum(t["seconds"] for t in tests))
