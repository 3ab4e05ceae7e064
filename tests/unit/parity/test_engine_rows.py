"""The doctor's engine rows: location, the engine's architecture against the images', tunnels."""
from dataclasses import replace

import pytest

from replica.commands import engine_parity
from replica.stack import plan as stack_module
from replica.stack.settings import from_environment


class FakeImages:
    def __init__(self, architectures):
        self.architectures = architectures

    def get(self, tag):
        return type("Image", (), {"attrs": {"Architecture": self.architectures[tag]}})()


class FakeClient:
    def __init__(self, machine, architectures):
        self.machine = machine
        self.images = FakeImages(architectures)

    def info(self):
        return {"Architecture": self.machine}


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "ssh://qa@build-box")
    stack = stack_module.Stack(replace(from_environment({}), root=tmp_path), ["app"], {"app": 5000},
                               {"APP_IMAGE": "mina-staging/app:1", "DB_IMAGE": "mina-staging/db:2"},
                               {})
    monkeypatch.setattr(stack_module, "load", lambda settings: stack)
    return stack.settings


def rows_by_item(settings, machine, architectures, monkeypatch):
    monkeypatch.setattr(engine_parity.health, "engine_client",
                        lambda: FakeClient(machine, architectures))
    return {row[0]: row for row in engine_parity.engine_rows(settings)}


def test_images_of_another_architecture_are_flagged_as_emulated(settings, monkeypatch):
    rows = rows_by_item(settings, "aarch64", {"mina-staging/app:1": "amd64",
                                              "mina-staging/db:2": "arm64"}, monkeypatch)
    item, _, replica, ok, todo = rows["engine architecture"]
    assert not ok and "emulated: mina-staging/app amd64" in replica and "db" not in replica
    assert "emulation" in todo


def test_images_of_the_engines_architecture_are_ok(settings, monkeypatch):
    rows = rows_by_item(settings, "x86_64", {"mina-staging/app:1": "amd64",
                                             "mina-staging/db:2": "amd64"}, monkeypatch)
    assert rows["engine architecture"][2:4] == ("amd64", True)
    assert "over SSH at build-box" in rows["engine location"][2]


def test_closed_tunnels_of_an_up_replica_are_a_difference(settings, monkeypatch):
    rows = rows_by_item(settings, "x86_64", {"mina-staging/app:1": "amd64",
                                             "mina-staging/db:2": "amd64"}, monkeypatch)
    assert rows["SSH tunnels"][2:4] == ("closed", False)
    assert "staging.up" in rows["SSH tunnels"][4]


def test_a_context_that_does_not_exist_is_a_row_not_a_crash(settings, monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("DOCKER_CONTEXT", "nowhere")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    rows = {row[0]: row for row in engine_parity.engine_rows(settings, answering=False)}
    assert not rows["engine location"][3] and "nowhere" in rows["engine location"][2]
