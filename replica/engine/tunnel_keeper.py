"""Keep a replica's SSH tunnel pointed at the ports its remote engine publishes, after `up` returns.

A remote engine picks a service's port when its container starts (compose gets `0`), so a restart
the engine makes (`docker restart`, a restart policy, `staging.restart`) moves the port and the
tunnel's forward to the old one answers nothing. `up` starts one keeper per tunnel group, a process
of its own (`python -m replica.engine.tunnel_keeper NAME GROUP`, its log `tunnels[-GROUP]-keeper.log`)
that follows the engine's container `start` events for the replica's project, and checks every
RECHECK_S too (an event missed while it re-opened), and re-opens the tunnel with the same ports here
forwarded to the new ports there. It ends with `down` (close_tunnels), when the tunnel's record is
gone or names another keeper, or when the engine no longer answers.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..stack import state
from ..stack.settings import Settings, from_environment
from . import health, tunnels
from .location import EngineLocation, locate

MODULE = "replica.engine.tunnel_keeper"
RECHECK_S = 60  # a fallback: the engine's events name a restart at once
ADOPT_TIMEOUT_S = 10  # how long a new keeper waits for `ensure` to name it in the record


def following(forwards: dict[str, tuple[int, int]],
              states: dict[str, health.ServiceState]) -> dict[str, tuple[int, int]]:
    """Return the forwards with each service's engine port as the engine publishes it now (a
    service without a published port, stopped or not started yet, keeps its forward)."""
    return {service: (local, states[service].published[0]
                      if service in states and states[service].published else remote)
            for service, (local, remote) in forwards.items()}


def ensure(settings: Settings, group: str = tunnels.REPLICA) -> None:
    """Start the group's keeper unless one runs already (after its tunnel was opened)."""
    record = tunnels.read_record(settings, group)
    if record is None or is_running(record.get("keeper"), settings.name, group):
        return
    log = settings.state_dir / state.tunnel_keeper_log(group)
    with open(log, "a") as output:
        process = subprocess.Popen([sys.executable, "-m", MODULE, settings.name, group],
                                   cwd=settings.root, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=output, start_new_session=True)  # outlives this task
    tunnels.set_keeper(settings, group, process.pid)


def is_running(pid, name: str, group: str) -> bool:
    """Tell whether pid is this replica's keeper of this group (a pid the kernel reused is not)."""
    try:
        argv = Path(f"/proc/{int(pid)}/cmdline").read_bytes().split(b"\0")
    except (OSError, TypeError, ValueError):
        return False
    return MODULE.encode() in argv and argv[-3:-1] == [name.encode(), group.encode()]


def reconcile(settings: Settings, location: EngineLocation, group: str, client) -> bool:
    """Re-open the group's tunnel if the engine's ports moved (or its ssh ended); return whether
    this keeper still owns the tunnel."""
    with tunnels.locked(settings):
        record = tunnels.read_record(settings, group)
        if record is None or record.get("keeper") != os.getpid():
            return False
        forwards = {s: (local, remote) for s, (local, remote) in record["forwards"].items()}
        wanted = following(forwards, health.service_states(client, settings.project))
        if wanted != forwards or not tunnels.is_alive(record):
            _log(f"engine ports {_ports(forwards)} -> {_ports(wanted)}: re-opening the tunnel")
            tunnels.open_tunnels(settings, location, wanted, group, lock=False)
    return True


def keep(settings: Settings, group: str) -> None:
    """Follow the engine until the tunnel is closed or the engine goes away."""
    location, client = locate(), health.engine_client()
    deadline = time.monotonic() + ADOPT_TIMEOUT_S
    while (tunnels.read_record(settings, group) or {}).get("keeper") != os.getpid():
        if time.monotonic() > deadline:
            _log("the tunnel's record does not name this keeper: another one keeps it")
            return
        time.sleep(0.1)
    started = threading.Event()
    watcher = threading.Thread(target=_watch_starts, args=(client, settings.project, started),
                               daemon=True)
    watcher.start()
    while reconcile(settings, location, group, client):
        started.wait(RECHECK_S)
        started.clear()
        if not watcher.is_alive():
            _log("the engine's event stream ended: the keeper stops")
            return


def _watch_starts(client, project: str, started: threading.Event) -> None:
    filters = {"type": "container", "event": "start",
               "label": f"{health.PROJECT_LABEL}={project}"}
    try:
        for _ in client.events(decode=True, filters=filters):
            started.set()
    except Exception as error:  # the engine went away: the main loop stops
        _log(f"the engine's event stream failed: {error}")
    started.set()


def _ports(forwards: dict[str, tuple[int, int]]) -> str:
    return ", ".join(f"{s} {remote}" for s, (_, remote) in sorted(forwards.items()))


def _log(line: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}", flush=True)


def main(argv: list[str]) -> int:
    name, group = argv
    settings = from_environment().with_name(name)
    _log(f"keeping the {group} tunnel of replica {name!r} on the engine's ports (pid {os.getpid()})")
    try:
        keep(settings, group)
    except Exception as error:  # logged, never raised into a task: the keeper runs on its own
        _log(f"the keeper stops: {type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
