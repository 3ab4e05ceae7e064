"""Host ports of a replica: pinned by the user, remembered per replica, else preferred or free.

Every port is published on 127.0.0.1 only. A replica keeps its ports across runs (in
.staging/<name>/ports.json) so URLs stay stable; a second replica gets other, free ones.
"""
from __future__ import annotations

import json
import random
import socket
from pathlib import Path

from ..core.errors import PortBusyError
from .services import PREFERRED_PORTS
from .settings import Settings, port_variable
from . import state

STATE_FILE = state.PORTS_FILE
# Where a replica's own free ports come from: below the kernel's ephemeral range (Linux 32768-60999,
# macOS from 49152), whose ports are also the source ports of outgoing connections and of their
# TIME_WAIT for a minute after: a replica's port there is often taken when it starts next.
STABLE_PORTS = range(20000, 32768)
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL_RANGE = (32768, 65535)
PROBES = 200


def resolve_ports(settings: Settings, services: list[str], own_ports: set[int]) -> dict[str, int]:
    """Choose a host port per service; `own_ports` are those this replica already publishes."""
    remembered = _read_state(settings.state_dir / STATE_FILE)
    pinned = {settings.pinned_ports[s] for s in services if s in settings.pinned_ports}
    chosen: dict[str, int] = {}
    for service in services:
        if service in settings.pinned_ports:
            port = settings.pinned_ports[service]
            if port not in own_ports and not is_free(port):
                raise PortBusyError(
                    f"port {port} for {service} is already in use on 127.0.0.1",
                    hint=f"free it, or choose another with {port_variable(service)}=<port>")
        else:
            port = _unpinned_port(service, remembered.get(service), own_ports,
                                  taken=pinned | set(chosen.values()))
        chosen[service] = port
    _write_state(settings.state_dir / STATE_FILE, {**remembered, **chosen})
    return chosen


def _unpinned_port(service: str, remembered: int | None, own_ports: set[int], taken: set[int]) -> int:
    for candidate in (remembered, PREFERRED_PORTS.get(service)):  # a variant app has no preferred one
        if candidate and candidate not in taken and (candidate in own_ports or is_free(candidate)):
            return candidate
    port = free_port()
    while port in taken:  # the kernel may hand out the port it just gave another service
        port = free_port()
    return port


def is_free(port: int) -> bool:
    """Tell whether nothing listens on 127.0.0.1:port (and it could be bound now).

    SO_REUSEADDR, as docker binds: connections the app closed linger in TIME_WAIT on its port for
    a minute after it stops (e.g. after a failed `up`), and must not make the replica move.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    """Return a free port on 127.0.0.1, outside the ephemeral range if one is free there."""
    low, high = ephemeral_range()
    stable = [port for port in STABLE_PORTS if not low <= port <= high]
    for port in random.sample(stable, min(PROBES, len(stable))):
        if is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ephemeral_range() -> tuple[int, int]:
    """Return the kernel's range of source ports for outgoing connections."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL_RANGE
    return low, high


def remembered_ports(settings: Settings) -> dict[str, int]:
    """Return the ports this replica was last brought up with."""
    return _read_state(settings.state_dir / STATE_FILE)


def _read_state(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {key: int(value) for key, value in data.items() if str(value).isdigit()}


def _write_state(path: Path, ports: dict[str, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ports, indent=2, sort_keys=True) + "\n")
