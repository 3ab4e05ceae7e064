"""Tasks that run the stack: engine, up, down, status, logs, restart, psql, redis-cli, shell."""
from __future__ import annotations

import json

from invoke.exceptions import Exit

from ..core import console
from ..core.errors import ConfigError
from .cli import task
from .reporting import reported, settings_for

# Command modules (docker SDK, rich live displays) are imported inside each task, so `invoke`
# starts fast for every task (`invoke staging.db.reset` pays only for what it uses).

NAME_HELP = "replica name: its own compose project, volumes and ports (env STAGING_NAME)"


@task(help={})
@reported
def engine(c):
    """Find a running container engine and Compose v2; install them only when there is none."""
    from ..commands.engine import engine as engine_command

    engine_command(settings_for(None))


@task(iterable=["profile", "env"],
      help={"name": NAME_HELP, "no_redis": "run without Redis (the redis-off profile)",
            "profile": "a fault profile to switch on (repeatable; `invoke staging.profiles` lists them)",
            "env": "KEY=VALUE for the app's environment, over .env.staging (repeatable)",
            "timeout": "seconds to wait for every service to be healthy",
            "no_seed": "do not load the default fixtures into a replica that has none",
            "watch": "then watch app/ and db/migrations as `staging.watch` does"},
      numbers={"timeout": 1})
@reported
def up(c, name=None, no_redis=False, profile=None, env=None, timeout=300, no_seed=False,
       watch=False):
    """Bring the staging replica up with exactly the given profiles; wait until all is healthy.
    A replica's first `up` also loads the default fixtures (so `staging.db.reset` works at once)."""
    from ..commands import up as up_module
    chosen = list(profile or []) + (["redis-off"] if no_redis else [])
    settings = settings_for(name)
    up_module.up(settings, parse_assignments(env or []), chosen, timeout, seed=not no_seed)
    if watch:
        from ..commands import watch as watch_module
        watch_module.watch(settings)


@task(help={"name": NAME_HELP,
            "migrate": "apply a migration added while watching at once (and upgrade the fixtures "
                       "template); without it, `m` then Enter applies them"})
@reported
def watch(c, name=None, migrate=False):
    """Copy changes under app/ and db/migrations into the running app (no image rebuild) until
    Ctrl-C; a change to app/requirements.txt rebuilds the image and recreates the app."""
    from ..commands import watch as watch_module
    watch_module.watch(settings_for(name), migrate=migrate)


@task(positional=["profile", "state"],
      help={"profile": "the fault profile (`invoke staging.profiles` lists them)",
            "state": "on or off", "name": NAME_HELP})
@reported
def fault(c, profile, state, name=None):
    """Switch one fault profile on or off on the running replica (others stay as they are)."""
    from ..commands import profiles as profile_commands
    profile_commands.switch(settings_for(name), profile, state)


@task
def profiles(c):
    """List the fault profiles, what each reproduces, and an example."""
    from ..commands import profiles as profile_commands
    profile_commands.print_catalogue(console.console)


@task(help={"name": NAME_HELP, "volumes": "also remove the data volumes (database contents)"})
@reported
def down(c, name=None, volumes=False):
    """Stop and remove the replica's containers; --volumes drops its data too. Asks nothing."""
    from ..commands import down as down_module
    down_module.down(settings_for(name), volumes=volumes)


@task(help={"name": NAME_HELP, "json": "print JSON for scripts"})
@reported
def status(c, name=None, json_=False):
    """Show each service's state, health and URL."""
    from ..commands import status as status_module
    report = status_module.status(settings_for(name))
    if json_:
        print(json.dumps(report, indent=2))
        return
    if report["services"]:
        status_module.print_report(console.console, report)
    else:
        console.console.print("nothing is running for this replica")
    if report.get("profiles"):
        console.info(f"fault profiles on: {', '.join(report['profiles'])}")
    if report["engine"]["remote"]:
        console.info(f"engine {report['engine']['location']}; SSH tunnels "
                     f"{report['engine']['tunnels']}")


@task(positional=["service"], numbers={"tail": 0},
      help={"service": "one service (default: all)", "name": NAME_HELP,
            "follow": "keep printing new lines", "tail": "lines of history"})
@reported
def logs(c, service=None, name=None, follow=False, tail=200):
    """Print the logs of one service (app, db, redis, mock-openai, error-sink, migrate) or all."""
    from ..commands import service as service_commands
    _exit_with(service_commands.logs(settings_for(name), service, follow, tail))


@task(positional=["service"], help={"service": "one service (default: all)", "name": NAME_HELP})
@reported
def restart(c, service=None, name=None):
    """Restart one service (or all) and wait until it is healthy again."""
    from ..commands import service as service_commands
    service_commands.restart(settings_for(name), service)


@task(help={"name": NAME_HELP})
@reported
def psql(c, name=None):
    """Open psql on the replica's database."""
    from ..commands import service as service_commands
    settings = settings_for(name)
    _exit_with(service_commands.exec_in(settings, "db", *service_commands.psql_command(settings)))


@task(name="redis-cli", help={"name": NAME_HELP})
@reported
def redis_cli(c, name=None):
    """Open redis-cli on the replica's Redis."""
    from ..commands import service as service_commands
    _exit_with(service_commands.exec_in(settings_for(name), "redis", "redis-cli"))


@task(help={"name": NAME_HELP, "service": "where to open the shell (default: app)"})
@reported
def shell(c, service="app", name=None):
    """Open a shell inside a service's container (the app by default)."""
    from ..commands import service as service_commands
    _exit_with(service_commands.exec_in(settings_for(name), service, "bash"))


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """Turn ["KEY=VALUE", ...] into a dict; a pair without '=' is an error naming it."""
    from ..stack.envprofile import check_value
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            shown = key if sep else pair
            raise ConfigError(f"--env {shown!r} is not KEY=VALUE", hint="e.g. --env DEBUG=False")
        check_value(f"--env {key}", value)
        parsed[key] = value
    return parsed


def _exit_with(code: int) -> None:
    if code:
        raise Exit(code=code)


TASKS = [engine, up, watch, down, status, logs, restart, psql, redis_cli, shell, fault, profiles]
