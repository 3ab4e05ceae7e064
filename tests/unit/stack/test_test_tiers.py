"""`invoke test` installs what its stack tiers need before they run, so no test skips for a package."""
from __future__ import annotations

from replica.commands import test as test_command
from replica.core import system_packages
from tests.support import sshd


def test_the_stack_tiers_ensure_the_remote_engine_tests_sshd(monkeypatch):
    asked: list[dict[str, str]] = []
    monkeypatch.setattr(system_packages, "ensure", asked.append)
    monkeypatch.setattr(test_command, "_pytest", lambda *args, **kwargs: 0)
    monkeypatch.setattr(test_command.provision, "ensure_engine",
                        lambda provision: type("Engine", (), {"server_version": "20.10",
                                                              "compose_version": "2"})())
    monkeypatch.setattr("replica.commands.up.up", lambda settings: None)
    monkeypatch.setattr("replica.commands.down.down", lambda settings, volumes: None)
    settings = type("Settings", (), {"provision_engine": False, "name": "tiers"})()
    test_command.run(test_settings=settings, fast=False, keep=False, pytest_args="")
    wanted = {binary: package for binaries in asked for binary, package in binaries.items()}
    assert wanted.get(sshd.SSHD) == "openssh-server"
    assert "chromium" in wanted and "ssh" in wanted
