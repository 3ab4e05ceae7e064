"""Throwaway PostgreSQL 18, Redis and PgBouncer for the integration tier, as testcontainers.

They run the project's own images (tests/support/images.py: the tags `staging.up` builds; nothing is
pulled), publish on 127.0.0.1 only, and carry labels naming the test session and its process.
Ryuk is off (`TESTCONTAINERS_RYUK_DISABLED=true`: its image is not here and no registry is assumed),
so cleanup after a killed run is ours: `reap_stale()`, called before a session starts its first
container, removes every labelled container whose owning process is gone (pid, its start time and
the boot id must all match a live process), and leaves a live session's alone (another run on a
shared engine).

    with PostgresContainer() as pg:     # pg.create_database("t1"), pg.url_for("t1"), pg.psql(...)
    with RedisContainer() as redis:     # redis.url; redis.stop_server() / start_server(): same port
    with pgbouncer_in_front_of(pg) as url:
    with MockOpenAIContainer(profile="ratelimit") as ai:   # ai.url: the mock as the stack runs it
"""
from __future__ import annotations

import functools
import itertools
import os
import socket
import time
import uuid
from contextlib import contextmanager

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
# Publish and connect on this machine's loopback, as the replica does (not a guessed gateway IP
# when the tests themselves run inside a container).
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

import docker  # noqa: E402
import psycopg  # noqa: E402
from testcontainers.core.container import DockerContainer  # noqa: E402

from replica.engine import health  # noqa: E402

from .databases import DatabaseAdmin  # noqa: E402
from .images import image_tags  # noqa: E402
from .ports import free_port  # noqa: E402

LABEL = "tc.mina-staging"  # every container of ours carries LABEL.session, .pid, .started, ...
SESSION, PID, STARTED, BOOT, HOST, SERVICE = (f"{LABEL}.{key}" for key in
                                              ("session", "pid", "started", "boot", "host", "service"))
SESSION_ID = uuid.uuid4().hex
PG_USER, PG_PASSWORD, PG_DATABASE = "postgres", "tc-postgres-secret", "tests"
REDIS_PASSWORD = "tc-redis-secret"
PGBOUNCER_PASSWORD = PG_PASSWORD  # scram to PgBouncer, and PgBouncer's login upstream
# fsync and friends off: a test server's data never needs to survive a crash. Trust, not scram,
# for TCP logins: scram costs ~100 ms a connection here, and the app's tests open thousands (the
# container is published on 127.0.0.1 only; PgBouncer still checks its clients' scram).
PG_HBA = "/tmp/tc-pg_hba.conf"
PG_SERVER_OPTIONS = ["-c", "max_connections=200", "-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off", "-c", f"hba_file={PG_HBA}"]
CGROUP_PARENT = "/tc-mina-tests"
_names = itertools.count(1)


# ---- who owns a container, and reaping the ones whose owner is gone ----------------------------

def _read(path: str) -> str | None:
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return None


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None."""
    stat = _read(f"/proc/{pid}/stat")
    return stat.rsplit(")", 1)[1].split()[19] if stat else None


def owner_labels(service: str, pid: int | None = None) -> dict[str, str]:
    """Labels naming this session and the process that owns the container."""
    pid = pid or os.getpid()
    return {LABEL: "true", SESSION: SESSION_ID, PID: str(pid), STARTED: process_start(pid) or "",
            BOOT: _read("/proc/sys/kernel/random/boot_id") or "", HOST: socket.gethostname(),
            SERVICE: service}


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that labelled a container still runs (unknown hosts count as alive)."""
    if labels.get(HOST) != socket.gethostname():
        return True  # another machine's container on a shared engine: not ours to judge
    if labels.get(BOOT) != (_read("/proc/sys/kernel/random/boot_id") or ""):
        return False  # this machine rebooted since
    pid, started = labels.get(PID, ""), labels.get(STARTED)
    return pid.isdigit() and bool(started) and process_start(int(pid)) == started


def reap_stale(client: docker.DockerClient | None = None) -> list[str]:
    """Remove labelled containers (running or not) whose owner is gone; return their names."""
    client = client or docker.from_env()
    removed = []
    for container in client.containers.list(all=True, filters={"label": SESSION}):
        if container.labels.get(SESSION) == SESSION_ID or owner_alive(container.labels):
            continue
        try:
            container.remove(force=True, v=True)
            removed.append(container.name)
        except docker.errors.NotFound:
            pass  # another session reaped it first
    return removed


@functools.cache
def _cgroup_parent() -> dict[str, str]:
    """On a cgroup v1 engine with the cgroupfs driver, a cgroup of the tests' own.

    There every container sits under one `docker` cgroup whose CPU weight equals one host process:
    on a machine shared with other replicas, a test server would get a sliver of what the host
    binaries it replaces got (template clones 3-5x slower at load 40). Under its own parent it
    competes like one host process again. Elsewhere (cgroup v2, systemd): the engine's default."""
    info = docker.from_env().info()
    if info.get("CgroupDriver") == "cgroupfs" and str(info.get("CgroupVersion")) == "1":
        return {"cgroup_parent": CGROUP_PARENT}
    return {}


# compose labels every image it builds with the building replica's project and service, and a
# container inherits its image's labels: without these, a throwaway container of the `db` image
# would count as a second `db` of the test replica wherever containers are found by those labels
COMPOSE_LABELS = (health.PROJECT_LABEL, health.SERVICE_LABEL)


def labelled(image: str, service: str) -> DockerContainer:
    """A container of this session: named tc-mina-<service>-<session>-<n>, labelled as ours (and
    as no replica's)."""
    name = f"tc-mina-{service}-{SESSION_ID[:8]}-{next(_names)}"
    return DockerContainer(image, name=name).with_kwargs(labels=container_labels(service),
                                                         **_cgroup_parent())


def container_labels(service: str) -> dict[str, str]:
    """A throwaway container's labels: its owner's, and compose's overridden to name no replica."""
    return {**owner_labels(service), **dict.fromkeys(COMPOSE_LABELS, f"tc-mina-{SESSION_ID[:8]}")}


def _loopback(container: DockerContainer, port: int, host_port: int | None = None) -> None:
    container.ports[str(port)] = ("127.0.0.1", host_port) if host_port else ("127.0.0.1",)


def _wait(check, container: DockerContainer, what: str, timeout: float = 60.0) -> None:
    """Poll check() until it passes; fail with the container's log if it stops or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except Exception as exc:  # noqa: BLE001 - any failure to answer means "not yet"
            wrapped = container.get_wrapped_container()
            wrapped.reload()
            if wrapped.status == "exited" or time.monotonic() > deadline:
                log = wrapped.logs().decode(errors="replace")[-3000:]
                raise AssertionError(f"{what} did not become ready ({exc}):\n{log}") from None
            time.sleep(0.1)


class _Service:
    container: DockerContainer

    def stop(self) -> None:
        self.container.stop()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


class PostgresContainer(DatabaseAdmin, _Service):
    """PostgreSQL from the replica's db image (STAGING_PG_MAJOR, default 18), fsync off."""

    user, password = PG_USER, PG_PASSWORD

    def __init__(self):
        self.container = (labelled(image_tags("DB_IMAGE")["DB_IMAGE"], "postgres")
                          .with_envs(POSTGRES_USER=PG_USER, POSTGRES_PASSWORD=PG_PASSWORD,
                                     POSTGRES_DB=PG_DATABASE)
                          .with_command(PG_SERVER_OPTIONS)
                          .with_copy_into_container(b"local all all trust\nhost all all all trust\n",
                                                    PG_HBA))
        _loopback(self.container, 5432)
        self.port = 0

    def start(self) -> "PostgresContainer":
        self.container.start()
        self.port = int(self.container.get_exposed_port(5432))
        # the entrypoint's first-start server listens on no TCP port: a connection means the real one
        _wait(lambda: self.psql("SELECT 1"), self.container, "postgres")
        return self

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    @property
    def internal_address(self) -> str:
        """host:port of the server for another container on the engine's bridge network."""
        client = self.container.get_docker_client()
        return f"{client.bridge_ip(self.container.get_container_id())}:5432"

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL command; return its rows as psql -A -t would print them."""
        with psycopg.connect(self.url_for(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
        return "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows)


class RedisContainer(_Service):
    """Redis from the replica's redis image (its password required, no persistence).

    It is published on a fixed loopback port so that stop_server() / start_server() (an outage)
    bring it back where the app's clients reconnect to."""

    def __init__(self):
        self.container = (labelled(image_tags("REDIS_IMAGE")["REDIS_IMAGE"], "redis")
                          .with_envs(REDIS_PASSWORD=REDIS_PASSWORD, REDISCLI_AUTH=REDIS_PASSWORD))
        self.port = free_port()
        _loopback(self.container, 6379, self.port)

    @property
    def url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self) -> "RedisContainer":
        self.container.start()
        self._wait_ready()
        return self

    def ping(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(f"AUTH {REDIS_PASSWORD}\r\nPING\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = sock.recv(64)
                if not chunk:
                    break
                answer += chunk
        if answer != b"+OK\r\n+PONG\r\n":
            raise ConnectionError(f"redis answered {answer!r}")

    def _wait_ready(self) -> None:
        _wait(self.ping, self.container, "redis")

    def stop_server(self) -> None:
        """Stop the server (the container stays, with its port) until start_server()."""
        self.container.get_wrapped_container().stop(timeout=10)

    def start_server(self) -> None:
        self.container.get_wrapped_container().start()
        self._wait_ready()


class MockOpenAIContainer(_Service):
    """mock-openai from the replica's mocks image, with the compose file's command; `profile` as
    MOCK_OPENAI_PROFILE, accepting the stack's default key `sk-staging-local`."""

    def __init__(self, profile: str = ""):
        import yaml

        from replica.stack.settings import ROOT

        service = yaml.safe_load((ROOT / "docker-compose.staging.yml").read_text())["services"]["mock-openai"]
        self.container = (labelled(image_tags("MOCKS_IMAGE")["MOCKS_IMAGE"], "mock-openai")
                          .with_envs(MOCK_OPENAI_PROFILE=profile).with_command(service["command"]))
        _loopback(self.container, 8080)
        self.url = ""

    def start(self) -> "MockOpenAIContainer":
        from mocks import control

        self.container.start()
        self.url = f"http://127.0.0.1:{self.container.get_exposed_port(8080)}"
        _wait(lambda: control.health(self.url), self.container, "mock-openai")
        return self


@contextmanager
def pgbouncer_in_front_of(postgres: PostgresContainer, **env: str):
    """PgBouncer from the replica's pooler image in front of `postgres`; yield a client URL."""
    container = (labelled(image_tags("PGBOUNCER_IMAGE")["PGBOUNCER_IMAGE"], "pgbouncer")
                 .with_envs(DB_HOST=postgres.internal_address, DB_USER=postgres.user,
                            DB_PASSWORD=postgres.password, DB_NAME="postgres", **env))
    _loopback(container, 6432)
    with container:
        port = int(container.get_exposed_port(6432))
        url = (f"postgresql://{postgres.user}:{postgres.password}@127.0.0.1:{port}/postgres"
               "?connect_timeout=5")

        def query() -> None:
            with psycopg.connect(url) as conn:
                conn.execute("SELECT 1")
        _wait(query, container, "pgbouncer", timeout=30)
        yield url
