"""PgBouncer from docker/pgbouncer, in a container on the host network, in front of the test PostgreSQL.

The image is built once per session with the classic builder (no buildx here) from a context that
holds only docker/pgbouncer/, on a Debian trixie base: $PGBOUNCER_TEST_BASE_IMAGE, the official
debian:trixie-slim, or the offline base `replica.images` builds with debootstrap (built if missing).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import docker
import psycopg
import pytest

from replica import images
from replica.settings import POOLER_SUITE
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "docker" / "pgbouncer"
PASSWORD = "pooled-test-secret"


def trixie_base() -> str:
    """Return a Debian trixie image to build on, building the offline one if none is present."""
    chosen = os.environ.get("PGBOUNCER_TEST_BASE_IMAGE")
    if chosen:
        return chosen
    offline = images.local_base_tag(POOLER_SUITE)
    for candidate in (f"debian:{POOLER_SUITE}-slim", offline):
        if images.image_id(candidate):
            return candidate
    images.build_offline_base(offline, POOLER_SUITE)
    return offline


@pytest.fixture(scope="session")
def docker_client():
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"these tests need a container engine: {exc}")
    return client


@pytest.fixture(scope="session")
def pgbouncer_image(docker_client, tmp_path_factory):
    """Build docker/pgbouncer into a dbproxy-test tag; remove it after the session."""
    context = tmp_path_factory.mktemp("pgbouncer-context")
    shutil.copytree(SOURCE, context / "docker" / "pgbouncer")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SOURCE.iterdir()))).hexdigest()
    tag = f"dbproxy-test/pgbouncer:{digest[:12]}"
    docker_client.images.build(path=str(context), dockerfile="docker/pgbouncer/Dockerfile",
                               buildargs={"BASE_IMAGE": trixie_base()}, tag=tag, rm=True,
                               forcerm=True)
    yield tag
    docker_client.images.remove(tag, force=True)


@pytest.fixture
def pgbouncer(docker_client, pgbouncer_image, postgres_server):
    """Factory: `with pgbouncer(PGBOUNCER_DEFAULT_POOL_SIZE="2") as url:` yields a client URL."""

    @contextmanager
    def start(**env: str):
        port = free_port()
        container = docker_client.containers.run(
            pgbouncer_image, detach=True, network_mode="host",
            name=f"dbproxy-test-pgbouncer-{uuid.uuid4().hex[:8]}",
            environment={"DB_HOST": f"127.0.0.1:{postgres_server.port}", "DB_USER": "postgres",
                         "DB_PASSWORD": PASSWORD, "DB_NAME": "postgres",
                         "PGBOUNCER_LISTEN_ADDR": "127.0.0.1", "PGBOUNCER_LISTEN_PORT": str(port),
                         **env})
        try:
            url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres?connect_timeout=5"
            wait_until_serving(url, container)
            yield url
        finally:
            container.remove(force=True)

    return start


def wait_until_serving(url: str, container, timeout: float = 30) -> None:
    """Wait until a query goes through PgBouncer; fail with its log if the container stops."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(url) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            container.reload()
            if container.status == "exited":
                break
            time.sleep(0.2)
    raise AssertionError("pgbouncer did not serve:\n" + container.logs().decode(errors="replace"))
