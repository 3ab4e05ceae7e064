"""SSH tunnels from this machine's loopback to a remote engine's published ports (`ssh -L`).

One `ssh -N` process per replica forwards each service's client port (127.0.0.1:LOCAL here) to the
port the engine published on its own loopback (127.0.0.1:REMOTE there). `up` opens it, `down`
closes it; `.staging/<replica>/tunnels.json` records its pid and forwards, its log is tunnels.log
(the gate's variant apps: a second one, tunnels-variants.json), and the pid of its keeper, which
re-opens it when a restart moves an engine port (replica/engine/tunnel_keeper.py). Whoever opens
a tunnel holds the replica's tunnel lock, so a task and the keeper never open one at once.

    >>> forwards = {"app": (5000, 32771), "db": (15432, 32772)}
    >>> open_tunnels(settings, location, forwards)   # http://127.0.0.1:5000 is the remote app
    >>> close_tunnels(settings)
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from ..core.errors import EngineError, PortBusyError
from ..stack import credentials, ports, state
from ..stack.settings import Settings, port_variable
from .location import SSH_OPTIONS, EngineLocation, ssh_failure

GROUPS = state.TUNNEL_GROUPS
REPLICA, VARIANTS = GROUPS
OPEN_TIMEOUT_S = 60
CLOSE_TIMEOUT_S = 10
# ssh exits when a forward cannot bind (a port taken) instead of running without it; keep-alives
# end a tunnel whose host went away, so `status` sees it closed.
TUNNEL_OPTIONS = ("-N", "-o", "ExitOnForwardFailure=yes", "-o", "ServerAliveInterval=15",
                  "-o", "ServerAliveCountMax=3")


def open_tunnels(settings: Settings, location: EngineLocation, forwards: dict[str, tuple[int, int]],
                 group: str = REPLICA, lock: bool = True) -> dict[str, tuple[int, int]]:
    """Make sure one live tunnel of this group carries exactly these forwards {service: (local,
    remote)}; the gate's variant apps have a group of their own, so opening theirs never breaks
    the replica's connections. lock=False: the caller holds `locked` already."""
    with (locked(settings) if lock else contextlib.nullcontext()):
        record = read_record(settings, group)
        if record and record["host"] == location.host and record["forwards"] == _listed(forwards) \
                and is_alive(record):
            return forwards
        if record and is_alive(record):
            _end(record["pid"])  # its record stays until the new one replaces it: never "closed"
        pid = _start(settings, location, forwards, group)
        kept = {"keeper": record["keeper"]} if record and record.get("keeper") else {}
        _write_record(settings, group, {"pid": pid, "host": location.host,
                                        "forwards": _listed(forwards), **kept})
    return forwards


def close_tunnels(settings: Settings, *groups: str) -> bool:
    """End the replica's tunnels of these groups (default: all) and their keepers if open; return
    whether one was."""
    closed = False
    for group in groups or GROUPS:
        if read_record(settings, group) is None:
            continue  # none opened (nothing written: bad input leaves the state folder as it was)
        with locked(settings):
            record = read_record(settings, group)
            if record and record.get("keeper"):
                _end_keeper(record["keeper"])
            closed = _end_tunnel(settings, group) or closed
    return closed


def set_keeper(settings: Settings, group: str, pid: int) -> None:
    """Name the process that keeps this group's tunnel on the engine's ports in its record."""
    with locked(settings):
        record = read_record(settings, group)
        if record is not None:
            _write_record(settings, group, {**record, "keeper": pid})


@contextlib.contextmanager
def locked(settings: Settings):
    """Hold the replica's tunnel lock (an exclusive flock) for the block."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.state_dir / state.TUNNEL_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_record(settings: Settings, group: str = REPLICA) -> dict | None:
    """Return the group's recorded tunnel (pid, host, forwards), or None when none was opened."""
    try:
        record = json.loads((settings.state_dir / state.tunnel_files(group)[0]).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "pid" in record else None


def is_alive(record: dict) -> bool:
    """Tell whether the recorded pid is still our ssh (a pid the kernel reused is not)."""
    try:
        argv = Path(f"/proc/{int(record['pid'])}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return False
    forwards = [f"127.0.0.1:{local}:127.0.0.1:{remote}".encode()
                for local, remote in record.get("forwards", {}).values()]
    return argv[0].endswith(b"ssh") and all(forward in argv for forward in forwards)


def _listed(forwards: dict[str, tuple[int, int]]) -> dict[str, list[int]]:
    return {service: [int(local), int(remote)] for service, (local, remote) in forwards.items()}


def _start(settings: Settings, location: EngineLocation, forwards: dict[str, tuple[int, int]],
           group: str) -> int:
    for service, (local, _) in forwards.items():
        if not ports.is_free(local):
            raise _port_busy(service, local)
    log_path = settings.state_dir / state.tunnel_files(group)[1]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = ["ssh", *SSH_OPTIONS, *TUNNEL_OPTIONS,
               *[arg for local, remote in forwards.values()
                 for arg in ("-L", f"127.0.0.1:{local}:127.0.0.1:{remote}")],
               *location.ssh_destination()]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)  # outlives this task, until `down`
    _wait_open(process, forwards, log_path, location)
    return process.pid


def _write_record(settings: Settings, group: str, record: dict) -> None:
    credentials.write_private(settings.state_dir / state.tunnel_files(group)[0],
                              json.dumps(record, indent=2) + "\n")


def _end_tunnel(settings: Settings, group: str) -> bool:
    """End the group's ssh and remove its record; return whether it was running."""
    record = read_record(settings, group)
    (settings.state_dir / state.tunnel_files(group)[0]).unlink(missing_ok=True)
    if record and is_alive(record):
        _end(record["pid"])
        return True
    return False


def _end_keeper(pid) -> None:
    argv = _cmdline(pid)
    if b"replica.engine.tunnel_keeper" in argv and int(pid) != os.getpid():
        _end(int(pid))


def _wait_open(process: subprocess.Popen, forwards: dict[str, tuple[int, int]], log_path: Path,
               location: EngineLocation) -> None:
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    waiting = dict(forwards)
    while waiting:
        if process.poll() is not None:
            raise _failure(log_path.read_text(), forwards, location)
        waiting = {s: ports for s, ports in waiting.items() if not _listening(ports[0])}
        if time.monotonic() > deadline:
            _end(process.pid)
            raise EngineError(f"the SSH tunnel to {location.host} did not open "
                              f"{', '.join(waiting)} within {OPEN_TIMEOUT_S} s; see {log_path}")
        time.sleep(0.2)


def _failure(stderr: str, forwards: dict[str, tuple[int, int]], location: EngineLocation):
    for service, (local, _) in forwards.items():
        if f"port: {local}\n" in stderr + "\n" or f"]:{local}: Address already in use" in stderr:
            return _port_busy(service, local)
    return ssh_failure(location, stderr)


def _port_busy(service: str, port: int) -> PortBusyError:
    return PortBusyError(f"the tunnel's port 127.0.0.1:{port} for {service} is already in use on "
                         "this machine",
                         hint=f"free it, or choose another with {port_variable(service)}=<port>")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _running(pid: int) -> bool:
    return bool(_cmdline(pid))  # a zombie no one reaped yet has no command line


def _cmdline(pid) -> bytes:
    try:
        return Path(f"/proc/{int(pid)}/cmdline").read_bytes()
    except (OSError, TypeError, ValueError):
        return b""


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + CLOSE_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return  # our own child (opened by this process), now reaped
        except ChildProcessError:
            if not _running(pid):
                return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
