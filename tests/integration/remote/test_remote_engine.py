"""The replica on a remote engine, for real: a second dockerd and an sshd in a network namespace this
test makes (tests/support/remote_engine.py), the tasks run as a user runs them with
DOCKER_HOST=ssh://root@<veth address>, a `docker context` naming it, or tcp:// with its SSH.

Its published ports stay on that engine's own loopback: from here they are reached only through the
SSH tunnels `up` opens (the gate's variant apps through a tunnel of their own), which follow a
restart that moves them. The namespace reaches the package registries through NAT, so `up` builds
the mocks' image on that engine (pip through the CA bundle's BuildKit secret); the other images
are copied in once (building them all there takes minutes: README, Remote engine). Root is needed
(namespaces, a second dockerd, NAT); everything the test made is removed after.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests

from replica.engine import images
from replica.engine.health import PROJECT_LABEL, SERVICE_LABEL
from replica.engine.location import config_dir
from replica.stack.settings import DEBIAN_SUITE, POOLER_SUITE, ROOT, Settings

from tests.integration.conftest import TEST_REPLICA
from tests.support import images as test_images
from tests.support.remote_engine import RemoteEngine, unavailable

pytestmark = [pytest.mark.stack,
              pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))]

REPLICA = f"{TEST_REPLICA}-ssh"
PROJECT = Settings(name=REPLICA).project
COMPOSE_PLUGINS = config_dir() / "cli-plugins"  # this machine's Compose, for the context's config
# every image the gate's set-up runs, PgBouncer for its pooled variant too; the mocks' is built there
COPIED_IMAGES = ("DB_IMAGE", "REDIS_IMAGE", "APP_IMAGE", "PGBOUNCER_IMAGE")
BUILT_THERE = "MOCKS_IMAGE"
TASK_TIMEOUT_S = 1800  # the first up builds the mocks' image, and every task waits on a loaded machine
FOLLOW_TIMEOUT_S = 120  # a restart's new port reaches the tunnel within this (the keeper's events)
# pytest-timeout's 300 s counts the module fixture (copying the images in) and a first up that
# builds an image and seeds; the gate runs after it in the same test
SLOW = pytest.mark.timeout(2400)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The remote engine with a route out, holding this machine's base images and all the stack's
    images but the mocks' (its registries are reachable, Docker Hub is not here)."""
    tags = test_images.image_tags(*COPIED_IMAGES)
    bases = [images.ensure_base_image(test_images._settings(), suite)
             for suite in (DEBIAN_SUITE, POOLER_SUITE)]  # the images' tags hash their base's ID
    with RemoteEngine(tmp_path_factory.mktemp("remote-engine"), f"{TEST_REPLICA[:8]}-ns",
                      route_out=True) as remote:
        remote.load_images([*bases, *tags.values()])
        yield remote
        invoke(remote, "staging.down", "--volumes")


def invoke(engine: RemoteEngine, *args: str, env: dict[str, str | None] | None = None):
    """Run `invoke ARGS --name REPLICA` as a user would, against the remote engine (env: what to
    set; None unsets)."""
    environment = {**engine.client_env(), "STAGING_PROVISION_ENGINE": "0", "COLUMNS": "200",
                   **(env or {})}
    environment = {k: v for k, v in environment.items() if v is not None and k != "STAGING_NAME"}
    return subprocess.run([sys.executable, "-m", "invoke", *args, "--name", REPLICA], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=TASK_TIMEOUT_S)


def engine_port(engine: RemoteEngine, service: str) -> int:
    """The port the engine publishes a service on (on its own loopback), asked there."""
    container = engine.local_docker("ps", "-q", "--filter", f"label={SERVICE_LABEL}={service}",
                                    "--filter", f"label={PROJECT_LABEL}={PROJECT}").stdout.strip()
    published = engine.local_docker("port", container).stdout.split()[-1]  # 5000/tcp -> 127.0.0.1:N
    return int(published.rsplit(":", 1)[1])


def wait_answering(url: str, timeout: float = FOLLOW_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def tunnel_record() -> dict:
    return json.loads((ROOT / ".staging" / REPLICA / "tunnels.json").read_text())


def answers(address: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(3)
        return probe.connect_ex((address, port)) == 0


@SLOW
def test_the_replica_runs_on_the_remote_engine_and_is_reached_only_through_tunnels(engine):
    up = invoke(engine, "staging.up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "SSH tunnels" in up.stdout
    assert "building images: mock-openai" in up.stdout  # on that engine, through its route out
    mocks = test_images.image_tags(BUILT_THERE)[BUILT_THERE]
    built = engine.local_docker("image", "inspect", "--format", "{{.Id}}", mocks).stdout.strip()
    assert built and built != images.image_id(mocks), "the mocks' image was not built there"

    status = invoke(engine, "staging.status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["up"] and report["engine"]["remote"] and report["engine"]["tunnels"] == "open"
    assert requests.get(report["services"]["app"]["url"] + "/health", timeout=30).status_code == 200

    for service, (local, remote) in tunnel_record()["forwards"].items():
        url = urlsplit(report["services"][service]["url"])
        assert (url.hostname, url.port) == ("127.0.0.1", local)
        assert not answers(engine.address, remote), f"{service} is reachable around the tunnel"
        inside = engine.in_namespace(sys.executable, "-c", "import socket; socket.create_connection("
                                     f"('127.0.0.1', {remote}), timeout=5)")
        assert inside.returncode == 0, f"{service} is not on the engine's loopback: {inside.stderr}"

    seed = invoke(engine, "staging.db.seed")  # a fresh replica has no fixtures to reset to
    assert seed.returncode == 0, seed.stdout + seed.stderr
    reset = invoke(engine, "staging.db.reset")
    assert reset.returncode == 0, reset.stdout + reset.stderr

    gate = invoke(engine, "staging.validate")  # with the variant apps, through their own tunnel
    assert gate.returncode == 0, gate.stdout[-4000:] + gate.stderr[-2000:]
    variants = json.loads(invoke(engine, "staging.status", "--json").stdout)["variants"]
    tunnelled = json.loads((ROOT / ".staging" / REPLICA / "tunnels-variants.json").read_text())
    assert variants and set(variants) == set(tunnelled["forwards"])
    for service, (local, remote) in tunnelled["forwards"].items():
        assert variants[service]["url"] == f"http://127.0.0.1:{local}"
        assert not answers(engine.address, remote), f"{service} is reachable around the tunnel"


def test_the_tunnel_follows_a_restart_that_moves_an_engine_port(engine):
    up = invoke(engine, "staging.up")  # a no-op when the test above left the replica up
    assert up.returncode == 0, up.stdout + up.stderr
    local, before = tunnel_record()["forwards"]["app"]
    container = engine.local_docker("ps", "-q", "--filter", f"label={SERVICE_LABEL}=app",
                                    "--filter", f"label={PROJECT_LABEL}={PROJECT}").stdout.strip()
    restarted = engine.local_docker("restart", container, timeout=120)
    assert restarted.returncode == 0, restarted.stderr  # the engine's own restart: no task runs
    deadline = time.monotonic() + FOLLOW_TIMEOUT_S
    while tunnel_record()["forwards"]["app"][1] == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert tunnel_record()["forwards"]["app"] != [local, before], "the tunnel did not follow"
    assert engine_port(engine, "app") == tunnel_record()["forwards"]["app"][1]
    assert wait_answering(f"http://127.0.0.1:{local}/health")
    status = json.loads(invoke(engine, "staging.status", "--json").stdout)
    assert status["engine"]["tunnels"] == "open"
    assert status["services"]["app"]["url"] == f"http://127.0.0.1:{local}"


@SLOW
def test_a_docker_context_names_the_engine_without_docker_host(engine, tmp_path):
    config = tmp_path / "docker-config"  # never the user's ~/.docker: `context use` would switch it
    config.mkdir()
    (config / "cli-plugins").symlink_to(COMPOSE_PLUGINS)
    env = {**{k: v for k, v in engine.client_env().items() if k != "DOCKER_HOST"},
           "DOCKER_CONFIG": str(config)}
    for command in (["context", "create", "rm-remote", "--docker", f"host={engine.url}"],
                    ["context", "use", "rm-remote"]):
        made = subprocess.run(["docker", *command], env=env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
    context = {"DOCKER_CONFIG": str(config), "DOCKER_HOST": None}
    invoke(engine, "staging.down", env=context)
    up = invoke(engine, "staging.up", "--no-seed", env=context)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "docker context rm-remote" in " ".join(up.stdout.split())
    report = json.loads(invoke(engine, "staging.status", "--json", env=context).stdout)
    assert report["up"] and report["engine"]["tunnels"] == "open"
    for service, path in (("app", "/health"), ("mock-openai", "/health"), ("error-sink", "/health")):
        assert requests.get(report["services"][service]["url"] + path, timeout=30).ok, service
    for service, (local, remote) in tunnel_record()["forwards"].items():
        assert not answers(engine.address, remote), f"{service} is reachable around the tunnel"
    down = invoke(engine, "staging.down", "--volumes", env=context)
    assert down.returncode == 0, down.stdout + down.stderr
    assert engine.local_docker("ps", "-aq").stdout.strip() == ""


def test_a_changed_host_key_is_refused_naming_docker_host(engine, tmp_path):
    known_hosts = engine.sshd.folder / "known_hosts"
    kept = known_hosts.read_text()
    from tests.support.sshd import make_key
    engine.sshd.trust(make_key(tmp_path / "impostor").with_suffix(".pub").read_text())
    try:
        status = invoke(engine, "staging.status")
    finally:
        known_hosts.write_text(kept)
    assert status.returncode == 2, status.stdout + status.stderr
    assert "host key" in status.stderr and f"DOCKER_HOST={engine.url}" in status.stderr


def test_a_taken_tunnel_port_leaves_no_stack_and_no_tunnel(engine):
    invoke(engine, "staging.down")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        up = invoke(engine, "staging.up", env={"STAGING_APP_PORT": str(busy)})
    assert up.returncode == 2, up.stdout + up.stderr
    assert f"port {busy}" in up.stderr and "STAGING_APP_PORT" in up.stderr
    assert engine.local_docker("ps", "-aq").stdout.strip() == ""
    assert not (ROOT / ".staging" / REPLICA / "tunnels.json").exists()


def test_down_closes_the_tunnels_and_removes_the_remote_containers(engine):
    up = invoke(engine, "staging.up")
    assert up.returncode == 0, up.stdout + up.stderr
    pid = tunnel_record()["pid"]
    down = invoke(engine, "staging.down", "--volumes")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "closed the SSH tunnels" in down.stdout
    assert not (ROOT / ".staging" / REPLICA / "tunnels.json").exists()
    assert not _running(pid)
    assert engine.local_docker("ps", "-aq").stdout.strip() == ""


def test_a_tcp_engine_is_used_with_its_ports_reached_over_ssh(engine):
    tcp = {"DOCKER_HOST": engine.tcp_url, "STAGING_ENGINE_SSH": engine.ssh_destination}
    up = invoke(engine, "staging.up", env=tcp)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "ports over SSH (STAGING_ENGINE_SSH=" in " ".join(up.stdout.split())
    report = json.loads(invoke(engine, "staging.status", "--json", env=tcp).stdout)
    assert report["up"] and report["engine"]["tunnels"] == "open"
    assert requests.get(report["services"]["app"]["url"] + "/health", timeout=30).status_code == 200
    for service, (local, remote) in tunnel_record()["forwards"].items():
        assert not answers(engine.address, remote), f"{service} is reachable around the tunnel"
    down = invoke(engine, "staging.down", "--volumes", env=tcp)
    assert down.returncode == 0, down.stdout + down.stderr
    assert engine.local_docker("ps", "-aq").stdout.strip() == ""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return bool(cmdline.read())
    except OSError:
        return False
