"""Staging's gunicorn command has one definition, `gunicorn_command` in staging.declared.yml: the
compose file holds no copy, `up` hands it to compose, parity compares it with what the app was
brought up with, and the tests' own gunicorn runs it."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from replica.commands import parity
from replica.core.errors import ConfigError
from replica.engine import images
from replica.stack import declared, plan as stack_module, profiles
from tests.support.gunicorn import staging_command

ROOT = Path(__file__).resolve().parents[3]


def redeclare(root: Path, command) -> None:
    path = root / declared.DECLARED_FILE
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "gunicorn_command": command}))


def test_the_compose_file_runs_the_command_up_gives_it_and_holds_no_copy():
    compose = yaml.safe_load((ROOT / "docker-compose.staging.yml").read_text())["services"]
    assert compose["app"]["command"] == "${APP_COMMAND}"
    text = (ROOT / "docker-compose.staging.yml").read_text()
    assert [line for line in text.splitlines() if "gunicorn" in line.partition("#")[0]] == []


def test_up_gives_compose_the_declared_command_as_declared_now(settings):
    redeclare(settings.root, "gunicorn --bind 0.0.0.0:5000 --workers 3\n  --worker-class eventlet main:app")
    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    assert stack.compose_env["APP_COMMAND"] == (
        "gunicorn --bind 0.0.0.0:5000 --workers 3 --worker-class eventlet main:app")


def test_parity_shows_a_declaration_changed_since_up(settings, monkeypatch):
    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    monkeypatch.setattr(parity.stack_module, "load", lambda _: stack)
    (settings.root / "app").mkdir()
    (settings.root / "app" / "requirements.txt").write_text("")
    item = {i.item: i for i in parity.staging_items(settings, declared.read(settings.root))}
    assert item["gunicorn command"].same
    redeclare(settings.root, declared.app_command(settings.root).replace("--workers 2", "--workers 4"))
    item = {i.item: i for i in parity.staging_items(settings, declared.read(settings.root))}
    assert not item["gunicorn command"].same and "staging.up" in item["gunicorn command"].todo


@pytest.mark.parametrize("command", [None, "", "   ", ["gunicorn", "main:app"]])
def test_a_missing_or_malformed_command_is_a_clear_error(settings, command):
    redeclare(settings.root, command)
    with pytest.raises(ConfigError, match="gunicorn_command"):
        declared.app_command(settings.root)


def test_the_tests_gunicorn_runs_the_declared_command_on_loopback():
    words = declared.app_command(ROOT).split()
    command = staging_command(4321, workers=1)
    assert command[0].endswith("/gunicorn")
    assert command[1:] == [{"0.0.0.0:5000": "127.0.0.1:4321", "2": "1"}.get(w, w) for w in words[1:]]
