"""How this machine reaches a replica's services, wherever its engine runs.

A stack's ports (replica/stack/plan.py) are always ports of this machine's 127.0.0.1, so every URL a
task prints or uses (`Stack.url`) is one the client can open. On a local engine they are the ports
the engine publishes. On a remote engine the engine publishes each service on a port it picks on its
own loopback, and an SSH tunnel (replica/engine/tunnels.py) forwards the stack's port here to it;
its keeper (replica/engine/tunnel_keeper.py) moves a forward when a restart moves the engine's port.
"""
from __future__ import annotations

from ..core.errors import StackNotUpError, StackUnhealthyError
from ..stack.services import compose_variable
from ..stack.settings import Settings
from . import tunnel_keeper, tunnels
from .health import ServiceState
from .location import EngineLocation


def ports_in_use(settings: Settings, states: dict[str, ServiceState],
                 location: EngineLocation) -> set[int]:
    """Return the client ports this replica already holds: its published ports, or its tunnel's."""
    if not location.remote:
        return {port for state in states.values() for port in state.published}
    return {local for group in tunnels.GROUPS if tunnel_open(settings, group)
            for local, _ in tunnels.read_record(settings, group)["forwards"].values()}


def connect(stack, states: dict[str, ServiceState], location: EngineLocation) -> dict:
    """Make each of the stack's URLs reach its service; return {service: (client, engine) port}."""
    return forward(stack.settings, stack.ports, states, location, tunnels.REPLICA)


def forward(settings: Settings, local_ports: dict[str, int], states: dict[str, ServiceState],
            location: EngineLocation, group: str) -> dict:
    """On a remote engine, tunnel each {service: port here} to the port the engine published."""
    if not location.remote:
        return {}
    forwards = {}
    for service, local in local_ports.items():
        state = states.get(service)
        if state is None or not state.published:
            raise StackUnhealthyError(f"service {service} publishes no port on {location.host}")
        forwards[service] = (local, state.published[0])
    tunnels.open_tunnels(settings, location, forwards, group)
    tunnel_keeper.ensure(settings, group)
    return forwards


def tunnel_state(settings: Settings, location: EngineLocation) -> str | None:
    """Say whether the replica's tunnel is open ("open", "closed"); None on a local engine."""
    if not location.remote:
        return None
    return "open" if tunnel_open(settings) else "closed"


def tunnel_open(settings: Settings, group: str = tunnels.REPLICA) -> bool:
    """Tell whether the replica's recorded tunnel (of that group) is alive."""
    record = tunnels.read_record(settings, group)
    return bool(record) and tunnels.is_alive(record)


def require_reachable(stack) -> None:
    """Refuse a stack `up` put on a remote engine while its tunnel is closed (nothing answers)."""
    if stack.compose_env.get(compose_variable("app", "PORT")) != "0":
        return  # published here: its ports are this machine's
    if not tunnel_open(stack.settings):
        raise StackNotUpError(f"replica {stack.settings.name!r} runs on a remote engine and its "
                              "SSH tunnel is closed",
                              hint="run `invoke staging.up` (with the same DOCKER_HOST or context) "
                                   "to open it again")
