"""How tasks read their command line (`--help` anywhere, the README's spellings) and what `down`
and Ctrl-C leave behind."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from replica.commands import down as down_module, up as up_module
from replica.stack.settings import Settings
from replica.stack.state import STACK_FILE
from tests.unit.bad_input.conftest import ROOT, assert_one_line_error, fingerprint, write_stack_record
from tests.unit.bad_input.test_tasks_bad_input import ALL_TASKS


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("task", sorted(ALL_TASKS))
def test_help_after_any_task_shows_its_help(task, flag, run):
    outcome = run(task, flag)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.startswith("Usage:") and "Docstring:" in outcome.stdout
    assert outcome.stderr == ""


def test_no_flag_takes_the_help_flags_short_form():
    from replica.tasks import namespace
    shorts = {f"{name} --{argument.name}": argument.names
              for name in namespace.task_names for argument in namespace[name].get_arguments()}
    assert [flag for flag, names in shorts.items() if "h" in names] == []
    assert shorts["staging.validate --shards"] == ("shards", "a")


@pytest.mark.parametrize("argv", [
    ("staging.fault", "redis-off", "on"),                       # as the README writes it
    ("staging.fault", "--profile", "redis-off", "--state", "off"),
    ("staging.fault", "openai-slow", "--state", "on"),
], ids=["positional", "flags", "mixed"])
def test_fault_spellings_all_reach_the_task(argv, run, checkout):
    write_stack_record(checkout)  # up, but no engine: the task got past parsing and its checks
    outcome = run(*argv)
    assert_one_line_error(outcome, 3)
    assert "engine" in outcome.stderr


def invoke_process(*args: bytes | str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STAGING_NAME": "bad-input-never-up", "STAGING_PROVISION_ENGINE": "0",
           "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    invoke = os.path.join(os.path.dirname(sys.executable), "invoke")
    return subprocess.run([invoke, *args], cwd=ROOT, env=env, capture_output=True, timeout=120)


@pytest.mark.parametrize("args, code", [
    (("staging.fault", "redis-off", "on"), 4),
    (("staging.logs", "--tail", "abc"), 2),
    (("staging.db.sanitize", "a.sql", "b.sql", "--workers", "0"), 2),
    (("staging.up", "--env", b"SECRET_KEY=\xff\xfe"), 2),
    (("staging.shell", "--service", "nope"), 2),
], ids=["fault-readme", "tail-abc", "workers-0", "env-not-utf8", "shell-nope"])
def test_the_installed_invoke_gives_one_line_too(args, code):
    before = fingerprint(ROOT / ".staging")
    done = invoke_process(*args)
    err = done.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in done.stdout + done.stderr, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("✘ ") and len(lines) <= 2, err
    assert done.returncode == code, err
    assert fingerprint(ROOT / ".staging") == before


def test_down_forgets_the_stack_so_later_tasks_say_not_up(checkout, run, monkeypatch):
    state = write_stack_record(checkout)
    settings = Settings(name="badinput", root=checkout)
    monkeypatch.setattr(down_module.engine, "ensure_engine", lambda provision: None)
    monkeypatch.setattr(down_module.health, "engine_client", lambda: _NoContainers())
    monkeypatch.setattr(down_module.Compose, "run", lambda self, *args, **kwargs: None)

    down_module.down(settings)

    assert not (state / STACK_FILE).exists()
    for argv in (("staging.psql",), ("staging.shell",), ("staging.fault", "redis-off", "on")):
        assert_one_line_error(run(*argv), 4)


class _NoContainers:
    class containers:  # noqa: N801 - the docker SDK's shape
        @staticmethod
        def list(**kwargs):
            return []

    volumes = containers


def test_ctrl_c_while_up_waits_exits_130(checkout, run, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    class Process:
        def send_signal(self, signal):
            pass

        def wait(self, timeout):
            return 0

    class Stack:
        settings = Settings(name="badinput", root=checkout)
        services = []
        ports = {}

    monkeypatch.setattr(up_module, "Compose", type("Compose", (), {
        "__init__": lambda self, settings: None, "popen": lambda self, *args: Process()}))
    monkeypatch.setattr(up_module.health, "wait_healthy", interrupted)
    with pytest.raises(up_module.UserInterrupt) as raised:
        up_module._compose_up(Stack(), None, ["app"], 10)
    assert raised.value.exit_code == 130

    monkeypatch.setattr(up_module, "up", interrupted)
    outcome = run("staging.up")
    assert_one_line_error(outcome, 130)


@pytest.mark.parametrize("words, offered", [
    (("staging.fault", "--"), "--state"),
    (("staging.logs", "--tail", "abc", "--"), "--follow"),   # a bad value still completes
], ids=["fault", "after-bad-value"])
def test_shell_completion_still_offers_the_flags(words, offered, run):
    outcome = run("--complete", "--", "invoke", *words)
    assert outcome.code == 0 and offered in outcome.stdout.split(), outcome


@pytest.mark.parametrize("argv, seed", [(("staging.up",), True), (("staging.up", "--no-seed"), False)],
                         ids=["seeds", "no-seed"])
def test_up_seeds_a_first_replica_unless_told_not_to(argv, seed, run, monkeypatch):
    asked = []
    monkeypatch.setattr(up_module, "up", lambda settings, env, profiles, timeout, seed: asked.append(seed))
    assert run(*argv).code == 0
    assert asked == [seed]
