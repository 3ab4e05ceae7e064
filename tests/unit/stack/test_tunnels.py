"""SSH tunnels to a remote engine's ports, against a throwaway sshd on this machine's loopback."""
import socket
import socketserver
import threading
from dataclasses import replace

import pytest

from replica.core.errors import PortBusyError
from replica.engine import location, reach, tunnels
from replica.stack.settings import from_environment
from tests.support import sshd

pytestmark = pytest.mark.skipif(sshd.available() is not None, reason=str(sshd.available()))


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.request.recv(64))


@pytest.fixture
def server(tmp_path, monkeypatch):
    with sshd.Sshd(tmp_path / "sshd", "127.0.0.1") as running:
        monkeypatch.setenv("PATH", f"{running.bin_dir}:{__import__('os').environ['PATH']}")
        yield running


@pytest.fixture
def echo():
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as service:
        threading.Thread(target=service.serve_forever, daemon=True).start()
        yield service.server_address[1]
        service.shutdown()


@pytest.fixture
def settings(tmp_path):
    return replace(from_environment({}), name="tunnels", root=tmp_path)


def _ask(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"ping")
        return client.recv(64)


def _free() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_tunnel_carries_a_port_until_it_is_closed(server, echo, settings):
    where = location.EngineLocation(server.url, "DOCKER_HOST")
    local = _free()
    tunnels.open_tunnels(settings, where, {"app": (local, echo)})
    assert _ask(local) == b"ping"
    assert reach.tunnel_state(settings, where) == "open"
    record = tunnels.read_record(settings)
    assert tunnels.open_tunnels(settings, where, {"app": (local, echo)})  # kept as it is
    assert tunnels.read_record(settings)["pid"] == record["pid"]
    assert tunnels.close_tunnels(settings)
    assert reach.tunnel_state(settings, where) == "closed"
    assert not tunnels.is_alive(record)
    with pytest.raises(OSError):
        _ask(local)


def test_a_taken_tunnel_port_is_named_and_leaves_no_tunnel(server, echo, settings):
    where = location.EngineLocation(server.url, "DOCKER_HOST")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with pytest.raises(PortBusyError, match=f"127.0.0.1:{busy} for db is already in use") as error:
            tunnels.open_tunnels(settings, where, {"db": (busy, echo)})
    assert "STAGING_DB_PORT" in error.value.hint
    assert tunnels.read_record(settings) is None


def test_a_changed_host_key_refuses_the_engine(server, tmp_path):
    other = sshd.make_key(tmp_path / "other_key")
    server.trust(other.with_suffix(".pub").read_text())
    where = location.EngineLocation(server.url, "DOCKER_HOST")
    with pytest.raises(location.ConfigError, match="host key of 127.0.0.1 does not match"):
        where.check_reachable()


def test_a_remote_stack_with_its_tunnel_closed_is_not_up(settings):
    from replica.core.errors import StackNotUpError
    from replica.stack.plan import Stack
    remote = Stack(settings, ["app"], {"app": 5000}, {"APP_PORT": "0"}, {})
    with pytest.raises(StackNotUpError, match="SSH tunnel is closed"):
        reach.require_reachable(remote)
    reach.require_reachable(Stack(settings, ["app"], {"app": 5000}, {"APP_PORT": "5000"}, {}))


def test_a_variant_app_on_a_remote_engine_is_listed_at_its_tunnels_end(settings, monkeypatch):
    import json
    from replica.commands import status
    from replica.engine.health import ServiceState
    from replica.stack import variants
    settings.state_dir.mkdir(parents=True)
    (settings.state_dir / "tunnels-variants.json").write_text(json.dumps(
        {"pid": 1, "host": "ssh://qa@box", "forwards": {"app-pooled": [24001, 32790]}}))
    monkeypatch.setattr(variants, "beside", lambda settings: {"app-pooled", "app-redis-off"})
    states = {"app-pooled": ServiceState("app-pooled", "running", "healthy", 0, "c1", (32790,)),
              "app-redis-off": ServiceState("app-redis-off", "running", "healthy", 0, "c2", (24002,))}
    rows = status.variant_apps(settings, states)
    assert rows["app-pooled"]["url"] == "http://127.0.0.1:24001"
    assert rows["app-redis-off"]["url"] == "http://127.0.0.1:24002"  # a local engine's own port
