import socket
from dataclasses import replace

import pytest

from replica.core.errors import PortBusyError
from replica.stack.ports import ephemeral_range, free_port, is_free, remembered_ports, resolve_ports
from replica.stack.settings import from_environment


@pytest.fixture
def settings(tmp_path):
    return replace(from_environment({}), root=tmp_path)


@pytest.fixture
def busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_busy_pinned_port_names_the_port_and_the_setting(settings, busy_port):
    settings = replace(settings, pinned_ports={"app": busy_port})
    with pytest.raises(PortBusyError) as error:
        resolve_ports(settings, ["app"], own_ports=set())
    assert str(busy_port) in str(error.value)
    assert "STAGING_APP_PORT" in error.value.hint


def test_a_port_the_replica_already_publishes_is_not_busy_for_it(settings, busy_port):
    settings = replace(settings, pinned_ports={"app": busy_port})
    assert resolve_ports(settings, ["app"], own_ports={busy_port}) == {"app": busy_port}


def test_ports_are_remembered_per_replica(settings):
    first = resolve_ports(settings, ["app", "db"], own_ports=set())
    assert remembered_ports(settings) == first
    assert resolve_ports(settings, ["app", "db"], own_ports=set()) == first


def test_a_taken_preferred_port_is_replaced_by_a_free_one(settings, busy_port, monkeypatch):
    monkeypatch.setitem(__import__("replica.stack.ports").stack.ports.PREFERRED_PORTS, "db", busy_port)
    chosen = resolve_ports(settings, ["db"], own_ports=set())["db"]
    assert chosen != busy_port and is_free(chosen)


def test_two_services_never_share_a_port(settings, monkeypatch):
    port = free_port()
    monkeypatch.setattr("replica.stack.ports.PREFERRED_PORTS", {"app": port, "db": port})
    chosen = resolve_ports(settings, ["app", "db"], own_ports=set())
    assert chosen["app"] != chosen["db"]


def test_two_services_never_share_a_port_the_kernel_gave_twice(settings, busy_port, monkeypatch):
    # seen in CI: app and error-sink both got 49793, and docker refused the second bind
    monkeypatch.setattr("replica.stack.ports.PREFERRED_PORTS", {"app": busy_port, "db": busy_port})
    handed_out = iter([40001, 40001, 40002])
    monkeypatch.setattr("replica.stack.ports.free_port", lambda: next(handed_out))
    assert resolve_ports(settings, ["app", "db"], own_ports=set()) == {"app": 40001, "db": 40002}


def test_a_free_port_is_not_one_pinned_for_a_later_service(settings, busy_port, monkeypatch):
    settings = replace(settings, pinned_ports={"db": 40001})
    monkeypatch.setattr("replica.stack.ports.PREFERRED_PORTS", {"app": busy_port, "db": 40001})
    handed_out = iter([40001, 40002])
    monkeypatch.setattr("replica.stack.ports.free_port", lambda: next(handed_out))
    monkeypatch.setattr("replica.stack.ports.is_free", lambda port: port != busy_port)
    assert resolve_ports(settings, ["app", "db"], own_ports=set()) == {"app": 40002, "db": 40001}


@pytest.fixture
def time_wait_port():
    """A port whose server closed a connection first: it lingers in TIME_WAIT (as docker-proxy's
    port does after the app answered requests), with nothing listening on it any more."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()          # the server closes first: TIME_WAIT is on its side, on `port`
        client.recv(1)
        client.close()
    return port


def test_a_remembered_port_in_time_wait_is_kept_after_a_failed_up(settings, time_wait_port):
    # after a failed `up` the app container is not running, so its port is not among own_ports
    (settings.state_dir).mkdir(parents=True)
    (settings.state_dir / "ports.json").write_text(f'{{"app": {time_wait_port}}}')
    assert is_free(time_wait_port)
    assert resolve_ports(settings, ["app"], own_ports=set()) == {"app": time_wait_port}


def test_a_chosen_free_port_is_outside_the_ephemeral_range_of_outgoing_connections():
    # an ephemeral port is also the source port of outgoing connections (and of their TIME_WAIT):
    # a replica's port there is often taken at its next start, and the replica would move
    low, high = ephemeral_range()
    for _ in range(20):
        port = free_port()
        assert not low <= port <= high and is_free(port)


def test_the_ephemeral_range_falls_back_when_the_kernel_does_not_say(monkeypatch, tmp_path):
    monkeypatch.setattr("replica.stack.ports.EPHEMERAL_RANGE_FILE", tmp_path / "absent")
    assert ephemeral_range() == (32768, 65535)
