"""What the engine says about a replica's containers, and waiting until they are healthy."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from ..core.errors import EngineError, StackUnhealthyError
from .location import locate

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"  # "False" on the containers compose creates for a service


def service_filter(project: str, service: str | None = None) -> dict[str, list[str]]:
    """The engine's filter for a project's service containers (one service's, if given).

    Not the project label alone: compose labels every image it builds with the building project
    and service, and a container run from one by hand (`docker run`, a testcontainers container)
    carries them too, though it is no service of the replica.
    """
    labels = [f"{PROJECT_LABEL}={project}", f"{ONEOFF_LABEL}=False"]
    return {"label": labels + ([f"{SERVICE_LABEL}={service}"] if service else [])}


@dataclass(frozen=True)
class ServiceState:
    service: str
    state: str            # created | running | exited | restarting | missing ...
    health: str           # healthy | unhealthy | starting | none | completed | failed
    exit_code: int
    container_id: str | None
    published: tuple[int, ...]
    started_at: datetime | None = None  # when its container last started (None: never)

    @property
    def ready(self) -> bool:
        return self.health in ("healthy", "completed") or (
            self.state == "running" and self.health == "none")

    @property
    def broken(self) -> bool:
        return self.health in ("unhealthy", "failed") or self.state in ("dead",) or (
            self.state == "exited" and self.health != "completed")


def engine_client():
    """Return a docker SDK client for the engine the CLI uses."""
    import docker  # ~0.2 s: only for the tasks that talk to the engine
    from docker.errors import DockerException

    where = locate()
    try:
        # over SSH through the ssh binary (not paramiko): the same keys, config and known_hosts
        # as the docker CLI, compose and the tunnels
        client = (docker.from_env(timeout=30, use_ssh_client=where.over_ssh)
                  if where.setting == "DOCKER_HOST" or not where.host else
                  docker.DockerClient(base_url=where.host, timeout=30, use_ssh_client=where.over_ssh))
        client.ping()
    except DockerException as error:
        raise EngineError(f"the docker engine does not answer: {error}",
                          hint="run `invoke staging.engine` or start Docker") from error
    return client


def service_states(client, project: str) -> dict[str, ServiceState]:
    """Return the state of each service container of a compose project."""
    from docker.errors import NotFound

    states = {}
    listed = client.containers.list(all=True, sparse=True, filters=service_filter(project))
    for container in listed:
        try:
            container.reload()
        except NotFound:
            continue  # compose removed it between the listing and now (a recreate)
        attrs = container.attrs
        service = attrs["Config"]["Labels"].get(SERVICE_LABEL, container.name)
        states[service] = _state_of(service, container.id, attrs)
    return states


def _state_of(service: str, container_id: str, attrs: dict) -> ServiceState:
    state = attrs["State"]
    status = state.get("Status", "unknown")
    exit_code = int(state.get("ExitCode") or 0)
    health = (state.get("Health") or {}).get("Status", "none")
    if status == "exited" and health == "none":
        health = "completed" if exit_code == 0 else "failed"
    ports = attrs.get("NetworkSettings", {}).get("Ports") or {}
    published = tuple(sorted({int(b["HostPort"]) for bindings in ports.values() if bindings
                              for b in bindings if b.get("HostPort")}))
    return ServiceState(service, status, health, exit_code, container_id, published,
                        _started_at(state.get("StartedAt")))


def _started_at(stamp: str | None) -> datetime | None:
    """The engine's RFC 3339 time (nanoseconds, `Z`) as a datetime; None for its zero time."""
    started = datetime.fromisoformat(stamp) if stamp else None
    return started if started and started.year > 1 else None


def wait_healthy(client, project: str, services: list[str], timeout: float,
                 on_change=None, stop_when=None, fail_fast: bool = True) -> dict[str, ServiceState]:
    """Poll until every service is ready; fail at once when one exits or turns unhealthy.

    fail_fast=False while `docker compose up` still runs: it stops and recreates containers on
    its way, and reports a dependency that fails by itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        states = service_states(client, project)
        if on_change:
            on_change(states)
        broken = [states[s] for s in services if s in states and states[s].broken]
        if broken and fail_fast:
            raise StackUnhealthyError(_describe(broken[0]))
        if all(s in states and states[s].ready for s in services):
            return states
        if stop_when and stop_when():
            return states
        if time.monotonic() > deadline:
            waiting = [s for s in services if s not in states or not states[s].ready]
            raise StackUnhealthyError(f"not healthy after {timeout:.0f} s: {', '.join(waiting)}")
        time.sleep(0.25)


def _describe(state: ServiceState) -> str:
    if state.state == "exited":
        return f"service {state.service} exited with code {state.exit_code}"
    return f"service {state.service} is {state.health or state.state}"


def diagnostics(client, project: str, service: str, lines: int = 30) -> str:
    """Return a service's last log lines and its last healthcheck outputs."""
    containers = client.containers.list(all=True, filters=service_filter(project, service))
    if not containers:
        return f"(no container for {service})"
    container = containers[0]
    logs = container.logs(tail=lines).decode("utf-8", "replace").rstrip()
    checks = (container.attrs["State"].get("Health") or {}).get("Log") or []
    health = "\n".join(f"  exit {c.get('ExitCode')}: {c.get('Output', '').strip()[-600:]}"
                       for c in checks[-3:])
    return (f"--- last {lines} log lines of {service} ---\n{logs or '(no output)'}"
            + (f"\n--- last healthchecks of {service} ---\n{health}" if health else ""))


def published_addresses(client, project: str) -> dict[str, list[str]]:
    """Return each service's published host addresses (ip:port) from the engine."""
    result: dict[str, list[str]] = {}
    for container in client.containers.list(filters=service_filter(project)):
        service = container.labels.get(SERVICE_LABEL, container.name)
        ports = container.attrs.get("NetworkSettings", {}).get("Ports") or {}
        result[service] = [f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}"
                           for bindings in ports.values() if bindings for b in bindings]
    return result
