"""The tunnel's keeper moves a forward to the port a restart gave the service on the engine."""
import subprocess
import sys
import time

import pytest

from replica.engine import health, location, tunnel_keeper, tunnels
from replica.engine.health import ServiceState
from tests.support import sshd
from tests.unit.stack.test_tunnels import _ask, _free, echo, server, settings  # noqa: F401

needs_sshd = pytest.mark.skipif(sshd.available() is not None, reason=str(sshd.available()))
echo_again = echo  # a second echo service: the same service on the port a restart gave it


def running(service: str, *published: int) -> ServiceState:
    return ServiceState(service, "running", "healthy", 0, f"c-{service}", published)


def test_a_forward_follows_the_engine_port_and_keeps_its_own_port_here():
    forwards = {"app": (5000, 32771), "db": (15432, 32772), "redis": (16379, 32773)}
    states = {"app": running("app", 32790), "db": running("db", 32772), "redis": running("redis")}
    assert tunnel_keeper.following(forwards, states) == {
        "app": (5000, 32790), "db": (15432, 32772), "redis": (16379, 32773)}


@needs_sshd
def test_a_restart_that_moves_the_engine_port_moves_the_tunnel(server, echo, echo_again, settings,
                                                               monkeypatch):
    where = location.EngineLocation(server.url, "DOCKER_HOST")
    local = _free()
    tunnels.open_tunnels(settings, where, {"app": (local, echo)})
    tunnels.set_keeper(settings, tunnels.REPLICA, __import__("os").getpid())
    restarted = {"app": running("app", echo_again)}
    monkeypatch.setattr(health, "service_states", lambda client, project: restarted)
    try:
        assert tunnel_keeper.reconcile(settings, where, tunnels.REPLICA, client=None)
        record = tunnels.read_record(settings)
        assert record["forwards"] == {"app": [local, echo_again]}
        assert record["keeper"] == __import__("os").getpid()
        assert tunnels.is_alive(record) and _ask(local) == b"ping"
    finally:
        tunnels._end_tunnel(settings, tunnels.REPLICA)


@needs_sshd
def test_a_keeper_the_record_does_not_name_stops(server, echo, settings, monkeypatch):
    where = location.EngineLocation(server.url, "DOCKER_HOST")
    tunnels.open_tunnels(settings, where, {"app": (_free(), echo)})
    tunnels.set_keeper(settings, tunnels.REPLICA, 1)
    monkeypatch.setattr(health, "service_states", lambda client, project: {})
    try:
        assert not tunnel_keeper.reconcile(settings, where, tunnels.REPLICA, client=None)
    finally:
        tunnels._end_tunnel(settings, tunnels.REPLICA)


def test_closing_the_tunnels_ends_their_keeper(settings):
    settings.state_dir.mkdir(parents=True)
    keeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)",
                               tunnel_keeper.MODULE, settings.name, tunnels.REPLICA])
    tunnels._write_record(settings, tunnels.REPLICA, {"pid": 999999999, "host": "ssh://x",
                                                      "forwards": {}, "keeper": keeper.pid})
    deadline = time.monotonic() + 30  # until the child has exec'd (its cmdline is the parent's before)
    while not tunnel_keeper.is_running(keeper.pid, settings.name, tunnels.REPLICA):
        assert time.monotonic() < deadline, "the stand-in keeper never started"
        time.sleep(0.05)
    tunnels.close_tunnels(settings)
    assert keeper.wait(timeout=15) is not None
    assert tunnels.read_record(settings) is None
