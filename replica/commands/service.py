"""`staging.logs`, `restart`, `psql`, `redis-cli`, `shell`: act on one service of a running replica."""
from __future__ import annotations

from .. import console, health, stack as stack_module
from ..compose import Compose
from ..errors import StackNotUpError, UnknownServiceError
from ..settings import ONE_SHOT_SERVICES, PROFILE_SERVICES, SERVICES, Settings

ALL_SERVICES = (*SERVICES, *PROFILE_SERVICES.values(), *ONE_SHOT_SERVICES)


def check_service(service: str | None, allowed=ALL_SERVICES) -> None:
    """Refuse a service name the stack does not have, listing the ones it has."""
    if service and service not in allowed:
        raise UnknownServiceError(f"unknown service {service!r}",
                                  hint=f"choose one of: {', '.join(allowed)}")


def logs(settings: Settings, service: str | None, follow: bool, tail: int) -> int:
    """Print (or follow) the logs of one service or all of them."""
    check_service(service)
    args = ["logs", "--tail", str(tail)] + (["--follow"] if follow else [])
    return Compose(settings).exec_interactive(*args, *([service] if service else []))


def restart(settings: Settings, service: str | None, timeout: float = 120) -> None:
    """Restart one service (or all) and wait until it is healthy again."""
    check_service(service, (*SERVICES, *PROFILE_SERVICES.values()))
    stack = _running_stack(settings)
    targets = [service] if service else stack.services
    stack.compose.run("restart", *targets, timeout=timeout)
    health.wait_healthy(health.engine_client(), settings.project, targets, timeout)
    console.success(f"restarted {', '.join(targets)}")


def exec_in(settings: Settings, service: str, *command: str) -> int:
    """Run a command attached to the terminal inside a running service."""
    stack = _running_stack(settings)
    if service not in stack.services:
        raise StackNotUpError(f"{service} is not part of this replica's run (disabled?)")
    return stack.compose.exec_interactive("exec", service, *command)


def psql_command(settings: Settings) -> list[str]:
    stack = _running_stack(settings)
    return ["psql", "-U", stack.compose_env["DB_USER"], "-d", stack.compose_env["DB_NAME"]]


def _running_stack(settings: Settings) -> stack_module.Stack:
    stack = stack_module.load(settings)
    if stack is None:
        raise StackNotUpError(f"replica {settings.name!r} is not up",
                              hint="run `invoke staging.up` first")
    return stack
