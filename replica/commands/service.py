"""`staging.logs`, `restart`, `psql`, `redis-cli`, `shell`: act on one service of a running replica."""
from __future__ import annotations

from ..core import console
from ..engine import health, reach
from ..engine.location import locate
from ..stack import plan as stack_module
from ..core.errors import StackNotUpError, UnknownServiceError, not_up
from ..stack.services import ONE_SHOT_SERVICES, PROFILE_SERVICES, SERVICES
from ..stack.settings import Settings
from ..engine.compose import Compose

ALL_SERVICES = (*SERVICES, *PROFILE_SERVICES.values(), *ONE_SHOT_SERVICES)


def check_service(service: str | None, allowed=ALL_SERVICES) -> None:
    """Refuse a service name the stack does not have, listing the ones it has."""
    if service and service not in allowed:
        raise UnknownServiceError(f"unknown service {service!r}",
                                  hint=f"choose one of: {', '.join(allowed)}")


def logs(settings: Settings, service: str | None, follow: bool, tail: int) -> int:
    """Print (or follow) the logs of one service or all of them."""
    check_service(service)
    stack = running_stack(settings)
    args = ["logs", "--tail", str(tail)] + (["--follow"] if follow else [])
    return Compose(stack.settings).exec_interactive(*args, *([service] if service else []))


def restart(settings: Settings, service: str | None, timeout: float = 120) -> None:
    """Restart one service (or all) and wait until it is healthy again."""
    check_service(service, (*SERVICES, *PROFILE_SERVICES.values()))
    stack = running_stack(settings)
    targets = [service] if service else stack.services
    Compose(stack.settings).run("restart", *targets, timeout=timeout)
    client = health.engine_client()
    health.wait_healthy(client, settings.project, targets, timeout)
    # a remote engine picks its ports again on a restart: the tunnel follows them
    reach.connect(stack, health.service_states(client, settings.project), locate())
    console.success(f"restarted {', '.join(targets)}")


def exec_in(settings: Settings, service: str, *command: str) -> int:
    """Run a command attached to the terminal inside a running service."""
    check_service(service)
    stack = running_stack(settings)
    if service not in stack.services:
        raise StackNotUpError(f"{service} is not part of this replica's run (disabled?)",
                              hint=f"running: {', '.join(stack.services)}")
    state = health.service_states(health.engine_client(), settings.project).get(service)
    if state is None or state.state != "running":
        raise StackNotUpError(f"{service} of replica {settings.name!r} is not running",
                              hint="`invoke staging.status` shows why; `invoke staging.up` repairs it")
    return Compose(stack.settings).exec_interactive("exec", service, *command)


def psql_command(settings: Settings) -> list[str]:
    stack = running_stack(settings)
    return ["psql", "-U", stack.compose_env["DB_USER"], "-d", stack.compose_env["DB_NAME"]]


def running_stack(settings: Settings, hint: str = "run `invoke staging.up` first") -> stack_module.Stack:
    """Return the stack `up` brought up for this replica; StackNotUpError when it is not up."""
    stack = stack_module.load(settings)
    if stack is None:
        raise not_up(settings.name, hint)
    return stack
