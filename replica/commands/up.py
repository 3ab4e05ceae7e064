"""`staging.up`: bring the replica up, build only what changed, wait for health, print where it is."""
from __future__ import annotations

import hashlib
import signal
import time

from rich.live import Live

from ..core import console
from ..stack import credentials, envprofile
from ..engine import provision as engine, health, images, reach, tunnels
from ..engine.location import locate
from ..stack import profiles as profiles_module, plan as stack_module, variants
from ..core.errors import StackUnhealthyError, StagingError, UserInterrupt
from ..stack.services import IMAGE_SERVICES
from ..stack.settings import Settings
from .status import print_stack, render_table
from ..engine.compose import Compose
from ..stack import state

FINGERPRINT_FILE = state.APPLIED_FILE


def up(settings: Settings, env: dict[str, str] | None = None, profiles: list[str] = (),
       timeout: float = 300, seed: bool = True) -> stack_module.Stack:
    """Bring the replica up with exactly these profiles (idempotent); return the running stack.

    With seed, a replica without fixtures (its first `up`) gets the default ones, so
    `staging.db.reset` works at once; a profile's own scale (prod-scale) is seeded either way.
    """
    chosen = profiles_module.resolve(list(profiles))
    # every file and value first: one the app refuses would stop it when its container is recreated
    app_overrides = {k: v for profile in chosen for k, v in profile.app_env.items()}
    envprofile.check_profile(settings.root, {**app_overrides, **(env or {})}, credentials.GENERATED)
    engine.ensure_engine(settings.provision_engine)
    where = locate()
    client = health.engine_client()
    before = health.service_states(client, settings.project)
    own_ports = reach.ports_in_use(settings, before, where)
    stack = stack_module.prepare(settings, own_ports, chosen, env, images.image_environment,
                                 remote_engine=where.remote)
    expected = [*stack.services, "migrate"]
    fingerprint = _fingerprint(stack)
    if _already_up(settings, before, expected, fingerprint):
        _connect(stack, before, where)
        console.success(f"replica {settings.name!r} is already up")
        print_stack(console.console, stack, before)
        return stack
    _build_missing(stack)
    _drop_disabled(stack, before)
    states = _compose_up(stack, client, expected, timeout)
    _connect(stack, states, where)
    if not _seed_for_profiles(stack, chosen) and seed and _seed_first(stack):
        # the seed quiesced the database and migrated it: the app's probe may have failed meanwhile
        states = health.wait_healthy(client, settings.project, expected, timeout, fail_fast=False)
    (settings.state_dir / FINGERPRINT_FILE).write_text(fingerprint)
    console.success(f"replica {settings.name!r} is up (project {settings.project})"
                    + (f" with profiles {', '.join(stack.profiles)}" if stack.profiles else ""))
    print_stack(console.console, stack, states)
    return stack


def _connect(stack: stack_module.Stack, states: dict, where) -> None:
    """Open the tunnels to a remote engine's ports; when they cannot open, leave nothing up."""
    try:
        forwards = reach.connect(stack, states, where)
    except StagingError:
        tunnels.close_tunnels(stack.settings)
        Compose(stack.settings).run("--profile", "*", "down", "--remove-orphans", timeout=300)
        raise
    if forwards:
        console.info(f"SSH tunnels to the engine {where.describe()}: "
                     + ", ".join(f"{s} {local}→{remote}" for s, (local, remote) in forwards.items()))


def _seed_for_profiles(stack: stack_module.Stack, chosen) -> bool:
    scales = [profile.seed_scale for profile in chosen if profile.seed_scale]
    if not scales:
        return False
    from . import db  # psycopg and NumPy: only when there is something to seed

    console.success(db.seed_scale_once(stack.settings, stack.url("db"), scales[0]))
    return True


def _seed_first(stack: stack_module.Stack) -> bool:
    from . import db

    with console.console.status("checking for fixtures (a first `up` seeds the default ones; "
                                "--no-seed skips)…"):
        seeded = db.seed_first(stack)
    if seeded:
        console.success(f"seeded: {seeded}")
    return bool(seeded)


def _fingerprint(stack: stack_module.Stack) -> str:
    digest = hashlib.sha256(stack.settings.compose_file.read_bytes())
    digest.update(",".join(stack.profiles).encode())  # prod-scale changes no file, only the data
    for name in ("compose.env", "app.env"):
        digest.update((stack.settings.state_dir / name).read_bytes())
    return digest.hexdigest()


def _already_up(settings: Settings, states: dict, expected: list[str], fingerprint: str) -> bool:
    path = settings.state_dir / FINGERPRINT_FILE
    applied = path.read_text().strip() if path.is_file() else ""
    return applied == fingerprint and all(s in states and states[s].ready for s in expected)


def _build_missing(stack: stack_module.Stack) -> None:
    missing = [service for variable, service in IMAGE_SERVICES.items()
               if service in stack.services and not images.image_id(stack.compose_env[variable])]
    if not missing:
        return
    console.info(f"building images: {', '.join(missing)} (only what changed is rebuilt)")
    started = time.monotonic()
    with console.console.status("building…"):
        Compose(stack.settings).run("build", *missing, timeout=1800)
    console.success(f"built {', '.join(missing)} in {time.monotonic() - started:.0f} s")


def _drop_disabled(stack: stack_module.Stack, states: dict) -> None:
    beside = variants.beside(stack.settings)  # the gate's variant apps and what they use: kept warm
    disabled = [s for s in states if s not in stack.services and s != "migrate" and s not in beside]
    if disabled:
        Compose(stack.settings).run("rm", "--force", "--stop", *disabled)
        console.info(f"stopped {', '.join(disabled)} (disabled for this run)")


def _compose_up(stack, client, expected: list[str], timeout: float) -> dict:
    process = Compose(stack.settings).popen("up", "--detach", "--remove-orphans", *expected)
    project = stack.settings.project
    try:
        with Live(render_table(stack, {}), console=console.console, transient=True) as live:
            health.wait_healthy(client, project, expected, timeout,
                                on_change=lambda states: live.update(render_table(stack, states)),
                                stop_when=lambda: process.poll() is not None, fail_fast=False)
            output = process.communicate()[0]
            if process.returncode == 0:
                states = health.wait_healthy(
                    client, project, expected, timeout,
                    on_change=lambda states: live.update(render_table(stack, states)))
    except StackUnhealthyError as error:
        process.terminate()
        raise _with_diagnostics(error, client, project, expected) from None
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        raise UserInterrupt("interrupted: the stack may be half up",
                           hint="run `invoke staging.up` again; it repairs what is missing") from None
    if process.returncode != 0:
        error = StackUnhealthyError(f"`docker compose up` failed:\n{(output or '').strip()[-1500:]}")
        raise _with_diagnostics(error, client, project, expected)
    return states


def _with_diagnostics(error: StagingError, client, project: str, expected: list[str]) -> StagingError:
    states = health.service_states(client, project)
    culprits = [s for s in expected if s in states and states[s].broken] or \
               [s for s in expected if s in states and not states[s].ready]
    details = "\n".join(health.diagnostics(client, project, s) for s in culprits[:2])
    return StackUnhealthyError(f"{error}\n{details}".rstrip(),
                               hint="fix the service above, then `invoke staging.up` again")
