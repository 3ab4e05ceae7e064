"""Every task given bad input: one line, the documented exit code, no traceback, nothing changed.

Exit codes (replica/core/errors.py, README): 2 configuration (a flag, setting or file is wrong),
3 engine, 4 stack not up, 5 data (a dump or database problem, db/README.md).
`pytest --collect-only -q tests/unit/bad_input | tail -1` counts the cases.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from replica.core.exit_status import ExitStatus

from tests.unit.bad_input.conftest import (ROOT, assert_one_line_error, fingerprint,
                                           write_stack_record)

CONFIG, ENGINE, NOT_UP, DATA = (ExitStatus.CONFIG, ExitStatus.ENGINE, ExitStatus.STACK,
                                ExitStatus.DATA)


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    code: int
    setup: str | None = None              # a function of SETUPS run on the checkout first
    env: dict = field(default_factory=dict)
    never_shown: str | None = None        # a secret the message must not echo
    names: str | None = None              # the setting the message must name


# Every task, with positionals that are valid in form, so the flag under test is what fails.
TASKS_WITH_NAME = {
    "staging.up": (), "staging.watch": (), "staging.down": (), "staging.status": (), "staging.logs": (),
    "staging.restart": (), "staging.psql": (), "staging.redis-cli": (), "staging.shell": (),
    "staging.fault": ("redis-off", "on"), "staging.db.migrate": (), "staging.db.seed": (),
    "staging.db.reset": (), "staging.db.snapshot": ("snap1",), "staging.db.restore": ("snap1",),
    "staging.db.snapshots": (), "staging.db.load-dump": ("dump.sql",),
    "staging.db.sanitize": ("in.sql", "out.sql"), "staging.db.leakcheck": ("in.sql", "out.sql"),
    "staging.db.refresh": ("--from", "postgresql://127.0.0.1:1/prod"),
    "staging.parity": (), "staging.doctor": (), "staging.bundle": (), "staging.openai.journal": (),
    "staging.openai.faults": (), "staging.openai.verdict": (), "staging.errors": (), "staging.validate": (),
    "staging.remote.install": (), "staging.remote.deploy": ("staging",),
}
TASKS_WITHOUT_NAME = {"staging.engine": (), "staging.profiles": (), "hooks.install": (),
                      "test": (), "staging.history": (), "staging.promote": ("v1.2.3",)}
ALL_TASKS = {**TASKS_WITH_NAME, **TASKS_WITHOUT_NAME}
BAD_NAMES = {"upper": "UPPER", "dotdot": "../x", "long": "a" * 40, "space": "a b"}

SECRET = "s3cr3t-Value-42"


def cases() -> list[Case]:
    found = []
    for task, positionals in TASKS_WITH_NAME.items():
        for label, name in BAD_NAMES.items():
            found.append(Case(f"{task}-name-{label}", (task, *positionals, "--name", name), CONFIG))
    for task, positionals in ALL_TASKS.items():
        found.append(Case(f"{task}-unknown-flag", (task, *positionals, "--bogus"), CONFIG))
    found += NUMBERS + POSITIONALS + VALUES + NOT_UP_CASES + ENGINE_CASES + REMOTE_ENGINE_CASES \
        + ENV_FILES + SETTINGS + FILES
    return found


NUMBERS = [Case(f"{task}-{flag}-{value}", (task, *before, f"--{flag}", value), CONFIG)
           for task, before, flag, values in [
               ("staging.logs", (), "tail", ("abc", "-1", "1.5")),
               ("staging.up", (), "timeout", ("abc", "0", "-3")),
               ("staging.db.sanitize", ("in.sql", "out.sql"), "workers", ("abc", "0", "-3")),
               ("staging.db.seed", (), "seed", ("abc", "-1")),
               ("staging.openai.journal", (), "limit", ("abc", "-2")),
               ("staging.openai.verdict", (), "budget", ("abc", "-2")),
               ("staging.errors", ("--spans",), "limit", ("abc", "-2")),
               ("staging.history", (), "limit", ("abc", "0")),
               ("staging.validate", ("--full",), "shards", ("abc", "0", "-1", "1.5")),
           ] for value in values]

POSITIONALS = [
    Case("fault-nothing", ("staging.fault",), CONFIG),
    Case("fault-no-state", ("staging.fault", "redis-off"), CONFIG),
    Case("fault-flag-no-state", ("staging.fault", "--profile", "redis-off"), CONFIG),
    Case("snapshot-no-name", ("staging.db.snapshot",), CONFIG),
    Case("restore-no-name", ("staging.db.restore",), CONFIG),
    Case("load-dump-no-file", ("staging.db.load-dump",), CONFIG),
    Case("sanitize-no-output", ("staging.db.sanitize", "in.sql"), CONFIG),
    Case("leakcheck-one-file", ("staging.db.leakcheck", "in.sql"), CONFIG),
    Case("logs-two-services", ("staging.logs", "app", "db"), CONFIG),
    Case("unknown-task", ("staging.nope",), CONFIG),
    Case("promote-no-version", ("staging.promote",), CONFIG),
]

VALUES = [
    Case("fault-unknown-profile", ("staging.fault", "nope", "on"), CONFIG),
    Case("fault-bad-state", ("staging.fault", "redis-off", "maybe"), CONFIG),
    Case("fault-bad-state-flags", ("staging.fault", "--profile", "redis-off", "--state", "1"), CONFIG),
    Case("up-unknown-profile", ("staging.up", "--profile", "nope"), CONFIG),
    Case("validate-shards-without-full", ("staging.validate", "--shards", "2"), CONFIG),
    Case("up-conflicting-profiles",
         ("staging.up", "--profile", "openai-slow", "--profile", "openai-down"), CONFIG),
    Case("up-env-no-equals", ("staging.up", "--env", "DEBUG"), CONFIG),
    Case("up-env-no-key", ("staging.up", "--env", "=1"), CONFIG),
    Case("up-env-unknown-key", ("staging.up", "--env", "NOPE=1"), CONFIG),
    Case("up-env-newline", ("staging.up", "--env", f"SECRET_KEY={SECRET}\nx"), CONFIG,
         never_shown=SECRET),
    Case("up-env-nul", ("staging.up", "--env", f"SECRET_KEY={SECRET}\0"), CONFIG, never_shown=SECRET),
    Case("up-env-quote", ("staging.up", "--env", f"SECRET_KEY={SECRET}'"), CONFIG, never_shown=SECRET),
    # a non-UTF-8 argument, as Python hands it over (surrogateescape)
    Case("up-env-not-utf8", ("staging.up", "--env", f"SECRET_KEY={SECRET}\udcff"), CONFIG,
         never_shown=SECRET),
    Case("up-env-bad-database-url", ("staging.up", "--env", "DATABASE_URL=mysql://x"), CONFIG),
    Case("up-env-unknown-reference", ("staging.up", "--env", "FRONTEND_URL=${NOPE}"), CONFIG),
    # values the app itself refuses at start-up: the running app would go down
    Case("up-env-app-refuses-boolean", ("staging.up", "--env", "DEBUG=maybe"), CONFIG),
    Case("up-env-app-refuses-flask-env", ("staging.up", "--env", "FLASK_ENV=prod"), CONFIG),
    Case("up-env-app-refuses-placeholder-secret", ("staging.up", "--env", "SECRET_KEY=changeme"),
         CONFIG),
    Case("up-env-app-refuses-direct-url", ("staging.up", "--env", "DATABASE_DIRECT_URL=mysql://x"),
         CONFIG),
    Case("promote-not-a-version", ("staging.promote", "1.2.3"), CONFIG),
    Case("promote-outside-a-git-work-tree", ("staging.promote", "v1.2.3"), CONFIG),
    Case("deploy-without-a-staging-remote", ("staging.remote.deploy",), CONFIG),
    Case("remote-install-outside-a-git-work-tree", ("staging.remote.install",), CONFIG),
    Case("logs-unknown-service", ("staging.logs", "nope"), CONFIG),
    Case("restart-unknown-service", ("staging.restart", "nope"), CONFIG),
    Case("restart-one-shot-service", ("staging.restart", "migrate"), CONFIG),
    Case("shell-unknown-service", ("staging.shell", "--service", "nope"), CONFIG),
    Case("shell-markup-service", ("staging.shell", "--service", "[/red]x"), CONFIG),
    Case("reset-bogus-strategy", ("staging.db.reset", "--strategy", "BOGUS"), CONFIG),
    Case("seed-bogus-strategy", ("staging.db.seed", "--strategy", "wal"), CONFIG),
    Case("snapshot-dotdot", ("staging.db.snapshot", "../x"), CONFIG),
    Case("snapshot-space", ("staging.db.snapshot", "a b"), CONFIG),
    Case("snapshot-empty", ("staging.db.snapshot", ""), CONFIG),
    Case("restore-dotdot", ("staging.db.restore", "../x"), CONFIG),
    Case("reset-url-conninfo-remote", ("staging.db.reset", "--url", "host=10.0.0.1 dbname=x"), CONFIG),
    Case("reset-url-conninfo-unterminated", ("staging.db.reset", "--url", "dbname='x"), CONFIG),
    Case("reset-url-conninfo-unknown-key", ("staging.db.reset", "--url", "nope=1"), CONFIG),
    Case("reset-url-percent", ("staging.db.reset", "--url", "postgresql://%zz@127.0.0.1/x"), CONFIG),
    Case("snapshots-url-ipv6", ("staging.db.snapshots", "--url", f"postgresql://u:{SECRET}@[::1"),
         CONFIG, never_shown=SECRET),
    Case("reset-url-http", ("staging.db.reset", "--url", "https://example.com/x"), CONFIG),
    Case("reset-url-hostaddr-bypass", ("staging.db.reset", "--url",
                                       "postgresql://u@localhost/x?hostaddr=10.0.0.1"), CONFIG),
    Case("reset-url-remote", ("staging.db.reset", "--url",
                              f"postgresql://u:{SECRET}@ep-x.eu-central-1.aws.neon.tech/db"),
         CONFIG, never_shown=SECRET),
    Case("validate-base-url-remote", ("staging.validate", "--base-url", "https://example.com"), CONFIG),
    Case("validate-base-url-not-url", ("staging.validate", "--base-url", "notaurl"), CONFIG),
    Case("validate-base-url-ipv6-open", ("staging.validate", "--base-url", "http://[::1"), CONFIG),
    Case("validate-base-url-bad-port", ("staging.validate", "--base-url", "http://127.0.0.1:99999"),
         CONFIG),
    Case("validate-base-url-ftp", ("staging.validate", "--base-url", "ftp://127.0.0.1/"), CONFIG),
    Case("validate-sink-url-remote", ("staging.validate", "--base-url", "http://127.0.0.1:5000",
                                      "--sink-url", "http://10.1.2.3:9000"), CONFIG),
    Case("errors-two-views", ("staging.errors", "--spans", "--traces"), CONFIG),
    Case("errors-trace-not-hex", ("staging.errors", "--trace", "not-a-trace-id"), CONFIG),
    Case("errors-trace-short", ("staging.errors", "--trace", "abc123"), CONFIG),
    Case("errors-level-with-spans", ("staging.errors", "--spans", "--level", "error"), CONFIG),
    Case("errors-op-with-traces", ("staging.errors", "--traces", "--op", "db"), CONFIG),
    Case("hooks-install-outside-git", ("hooks.install",), CONFIG),
    Case("refresh-no-from", ("staging.db.refresh",), CONFIG),
    Case("refresh-from-unreadable", ("staging.db.refresh", "--from", f"password={SECRET} dbname='x"),
         CONFIG, never_shown=SECRET),
    Case("refresh-from-http", ("staging.db.refresh", "--from", f"https://u:{SECRET}@example.com/x"),
         CONFIG, never_shown=SECRET),
    Case("refresh-url-remote", ("staging.db.refresh", "--from", "postgresql://127.0.0.1:1/prod",
                                "--url", f"postgresql://u:{SECRET}@ep-x.eu-central-1.aws.neon.tech/db"),
         CONFIG, never_shown=SECRET),
    Case("refresh-policy-missing", ("staging.db.refresh", "--from", "postgresql://127.0.0.1:1/prod",
                                    "--policy", "/nonexistent.yml"), CONFIG),
    Case("load-dump-url-conninfo-remote",
         ("staging.db.load-dump", "dump.sql", "--url", f"host=db.example.com password={SECRET}"),
         CONFIG, never_shown=SECRET),
]

NOT_UP_CASES = [Case(f"{task}-not-up", (task, *args), NOT_UP, setup=setup)
                for setup in (None, "after_down")
                for task, args in [
                    ("staging.psql", ()), ("staging.redis-cli", ()), ("staging.shell", ()),
                    ("staging.logs", ()), ("staging.logs", ("app",)), ("staging.restart", ()),
                    ("staging.db.migrate", ()), ("staging.openai.journal", ()),
                    ("staging.openai.faults", ()), ("staging.openai.verdict", ()), ("staging.errors", ()),
                    ("staging.bundle", ()), ("staging.watch", ()),
                    ("staging.fault", ("redis-off", "on")),
                    ("staging.fault", ("--profile", "redis-off", "--state", "on")),
                    ("staging.db.snapshots", ()), ("staging.db.reset", ()),
                    ("staging.db.snapshot", ("snap1",)), ("staging.db.restore", ("snap1",)),
                    ("staging.db.refresh", ("--from", "postgresql://127.0.0.1:1/prod")),
                ]]
# ids must be unique: name the after-down ones apart
NOT_UP_CASES = [Case(f"{c.id}{'-after-down' if c.setup else ''}-{i}", c.argv, c.code, c.setup)
                for i, c in enumerate(NOT_UP_CASES)]

ENGINE_CASES = [
    Case("status-no-engine", ("staging.status",), ENGINE),
    Case("down-no-engine", ("staging.down",), ENGINE),
    Case("up-no-engine", ("staging.up",), ENGINE),
    Case("up-watch-no-engine", ("staging.up", "--watch"), ENGINE),
    Case("engine-no-engine", ("staging.engine",), ENGINE),
    Case("fault-on-no-engine", ("staging.fault", "redis-off", "on"), ENGINE, setup="stack_record"),
    Case("psql-no-engine", ("staging.psql",), ENGINE, setup="stack_record"),
    Case("watch-no-engine", ("staging.watch",), ENGINE, setup="stack_record"),
    Case("shell-disabled-service", ("staging.shell", "--service", "redis"), NOT_UP,
         setup="stack_record_without_redis"),
]

# A remote engine (DOCKER_HOST, a docker context) that cannot be used: named before anything starts.
REMOTE_ENGINES = {"unreachable": ({"DOCKER_HOST": "ssh://root@127.0.0.1:1"}, ENGINE,
                                  "DOCKER_HOST=ssh://root@127.0.0.1:1"),
                  "tcp-elsewhere": ({"DOCKER_HOST": "tcp://build-box:2375"}, CONFIG,
                                    "DOCKER_HOST=tcp://build-box:2375"),
                  "no-such-context": ({"DOCKER_HOST": "", "DOCKER_CONTEXT": "nowhere"}, CONFIG,
                                      "docker context 'nowhere' (DOCKER_CONTEXT)"),
                  "ssh-destination-an-option": ({"DOCKER_HOST": "tcp://build-box:2375",
                                                 "STAGING_ENGINE_SSH": "-oProxyCommand=x"}, CONFIG,
                                                "STAGING_ENGINE_SSH=-oProxyCommand=x")}
REMOTE_ENGINE_CASES = [Case(f"{task}-engine-{label}", (task,), code, env=env, names=names)
                       for task in ("staging.up", "staging.down", "staging.status", "staging.engine")
                       for label, (env, code, names) in REMOTE_ENGINES.items()] + [
    # a replica `up` put on a remote engine, its SSH tunnel closed: what needs its URLs says so
    Case(f"{task}-remote-tunnel-closed", (task,), NOT_UP, setup="remote_stack_record",
         names="SSH tunnel is closed")
    for task in ("staging.db.reset", "staging.db.seed", "staging.openai.journal", "staging.errors")]

ENV_FILES = [Case(f"up-env-file-{setup}", ("staging.up",), CONFIG, setup=setup, never_shown=SECRET)
             for setup in ("env_not_utf8", "env_unclosed_quote", "env_unknown_variable",
                           "env_no_equals", "env_unknown_reference", "env_example_missing",
                           "env_app_refuses")]

ENV_FILES += [Case(f"fault-env-file-{setup}", ("staging.fault", "redis-off", "on"), CONFIG,
                   setup=f"stack_record_{setup}", never_shown=SECRET)
              for setup in ("env_not_utf8", "env_unclosed_quote", "env_app_refuses")]

SETTINGS = [
    Case("status-pg-major", ("staging.status",), CONFIG, env={"STAGING_PG_MAJOR": "17"}),
    Case("up-port-not-number", ("staging.up",), CONFIG, env={"STAGING_APP_PORT": "abc"}),
    Case("psql-port-too-big", ("staging.psql",), CONFIG, env={"STAGING_DB_PORT": "70000"}),
    Case("up-ca-bundle-missing", ("staging.up",), CONFIG, env={"STAGING_CA_BUNDLE": "/nonexistent"}),
    Case("status-bad-name-env", ("staging.status",), CONFIG, env={"STAGING_NAME": "BAD"}),
    Case("sanitize-bad-name-env", ("staging.db.sanitize", "in.sql", "out.sql"), CONFIG,
         env={"STAGING_NAME": "../x"}),
]

FILES = [
    Case("sanitize-missing-source", ("staging.db.sanitize", "/nonexistent/in.sql", "out.sql"), DATA),
    Case("sanitize-read-only-output", ("staging.db.sanitize", "{dump}", "/sys/out.sql"), CONFIG),
    Case("sanitize-output-dir-missing",
         ("staging.db.sanitize", "{dump}", "/nonexistent/dir/out.sql"), CONFIG),
    Case("sanitize-missing-policy",
         ("staging.db.sanitize", "{dump}", "out.sql", "--policy", "/nonexistent.yml"), CONFIG),
    Case("sanitize-not-utf8-policy", ("staging.db.sanitize", "{dump}", "out.sql", "--policy",
                                      "{bad_policy}"), CONFIG, setup="bad_policy"),
    Case("leakcheck-missing-sanitized", ("staging.db.leakcheck", "{dump}", "/nonexistent.sql"), DATA),
    Case("bundle-read-only-output", ("staging.bundle", "--output", "/sys/b.tar.gz"), CONFIG,
         setup="stack_record"),
    Case("history-html-dir-missing", ("staging.history", "--html", "/nonexistent/dir/h.html"), CONFIG),
    Case("history-html-read-only", ("staging.history", "--html", "/sys/h.html"), CONFIG),
]


def _after_down(checkout):
    # what `down` leaves: the compose variables, but no record of a running stack
    state = write_stack_record(checkout)
    (state / "stack.json").unlink()


def _stack_record(checkout):
    write_stack_record(checkout)


def _remote_stack_record(checkout):
    record_file = write_stack_record(checkout) / "stack.json"
    record = json.loads(record_file.read_text())
    record["compose_env"]["APP_PORT"] = "0"  # what `up` on a remote engine publishes
    record_file.write_text(json.dumps(record))


def _stack_record_without_redis(checkout):
    write_stack_record(checkout, services=("app", "db", "mock-openai", "error-sink"))


def _env(text: bytes):
    return lambda checkout: (checkout / ".env.staging").write_bytes(text)


SETUPS = {
    "remote_stack_record": _remote_stack_record,
    "after_down": _after_down,
    "stack_record": _stack_record,
    "stack_record_without_redis": _stack_record_without_redis,
    "env_not_utf8": _env(b"DEBUG=False\nSECRET_KEY=" + SECRET.encode() + b"\xff\xfe\n"),
    "env_unclosed_quote": _env(b"DEBUG=False\nSECRET_KEY='" + SECRET.encode() + b"\n"),
    "env_unknown_variable": _env(b"NOPE=" + SECRET.encode() + b"\n"),
    "env_no_equals": _env(b"DEBUG=False\nSECRET_KEY\n"),
    "env_unknown_reference": _env(b"FRONTEND_URL=${NOPE}/x\n"),
    "env_example_missing": lambda checkout: (checkout / ".env.staging.example").unlink(),
    "env_app_refuses": _env(b"DEBUG=maybe\n"),
    "stack_record_env_not_utf8": lambda c: (_stack_record(c), SETUPS["env_not_utf8"](c)),
    "stack_record_env_unclosed_quote": lambda c: (_stack_record(c), SETUPS["env_unclosed_quote"](c)),
    "stack_record_env_app_refuses": lambda c: (_stack_record(c), SETUPS["env_app_refuses"](c)),
    "bad_policy": lambda checkout: (checkout / "bad.yml").write_bytes(b"tables:\n  \xff: x\n"),
}


@pytest.fixture
def dump_file(checkout):
    path = checkout / "prod.sql"
    path.write_text("-- PostgreSQL database dump\nSELECT 1;\n")
    return path


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.id)
def test_bad_input_is_one_line_with_its_exit_code_and_changes_nothing(case, checkout, run,
                                                                      monkeypatch, dump_file):
    for variable, value in case.env.items():
        monkeypatch.setenv(variable, value)
    if case.setup:
        SETUPS[case.setup](checkout)
    monkeypatch.chdir(checkout)
    argv = [arg.format(dump=dump_file, bad_policy=checkout / "bad.yml") if "{" in arg and "}" in arg
            and not arg.startswith(("FRONTEND_URL", "--")) else arg for arg in case.argv]
    before = fingerprint(checkout, ROOT / ".staging")

    outcome = run(*argv)

    assert_one_line_error(outcome, case.code)
    assert fingerprint(checkout, ROOT / ".staging") == before
    if case.never_shown:
        assert case.never_shown not in outcome.stdout + outcome.stderr
    if case.names:
        assert case.names in outcome.stdout + outcome.stderr
