"""A pytest plugin for a team's own tests against the replica: staging's set-up in a few lines.

Installed with the project (entry point `pytest11`: `mina_staging`), so any test in this checkout
can ask for:

- `staging` (session): the replica named by `--staging-name` (default: STAGING_NAME, else
  `main`), reused when it is up (staging.status); otherwise a throwaway replica `<name>-pytest` is brought up for
  the session and removed after it (`--staging-keep` keeps it). `.url(service)`, `.base_url`.
- `staging_db`: the replica's database reset to its fixtures before the test (0.3 s; seeded once
  when none were loaded). `.url`, `.fixture_user()` (a user of the fixtures, who can log in).
- `openai_faults`: script mock-openai for this test (`.set(profile=..., sequence=[...],
  paths=[...])`, `.journal()`); faults and journal are cleared before and after it.
- `sink_events`: the error sink emptied before and after the test; `.events()`, `.spans()` read what the app
  reported during it, `.wait(at_least=1)` until it has arrived (SDKs send in the background).

A runnable example: examples/test_against_the_replica.py (README, "Your own tests").
Importing this module costs nothing: the replica's code is imported when a fixture is used.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

OWN_SUFFIX = "pytest"  # a throwaway replica is named <name>-pytest


def pytest_addoption(parser):
    group = parser.getgroup("mina-staging", "the staging replica (replica/pytest_plugin.py)")
    group.addoption("--staging-name", default=None,
                    help="the replica to run against (default: STAGING_NAME, else `main`)")
    group.addoption("--staging-keep", action="store_true", default=False,
                    help="keep a replica the session brought up (faster re-runs)")


@dataclass
class Replica:
    """The replica a session runs against."""

    settings: object
    stack: object
    owned: bool  # brought up by this session (and so removed after it)

    def url(self, service: str) -> str:
        return self.stack.url(service)

    @property
    def base_url(self) -> str:
        return self.url("app")


@pytest.fixture(scope="session")
def staging(request):
    from .commands import down as down_command, status as status_command, up as up_command
    from .stack import plan as stack_module
    from .stack.settings import from_environment

    name = request.config.getoption("staging_name") or os.environ.get("STAGING_NAME") or None
    settings = from_environment().with_name(name)
    if status_command.status(settings)["up"]:
        yield Replica(settings, stack_module.load(settings), owned=False)
        return
    own = settings.with_name(f"{settings.name}-{OWN_SUFFIX}"[:31])
    replica = Replica(own, up_command.up(own), owned=True)
    try:
        yield replica
    finally:
        if not request.config.getoption("staging_keep"):
            down_command.down(own, volumes=True)


@dataclass
class Database:
    """The replica's database, reset to its fixtures for this test."""

    url: str

    def fixture_user(self) -> dict:
        """A user of the fixtures: {"login", "password", "meeting"} (its meeting with the most
        transcript segments)."""
        from .gate import fixture_users

        user = fixture_users.lightest(self.url)
        if user is None:
            pytest.fail("the replica's database holds no fixture user")
        return {"login": user.login, "password": fixture_users.PASSWORD, "meeting": user.meeting}


@pytest.fixture
def staging_db(staging) -> Database:
    from .commands import db
    from .data.db.reset import reset
    from .data.errors import NoFixturesError

    url = staging.url("db")
    try:
        reset(url)
    except NoFixturesError:
        db.seed(staging.settings, url)
    return Database(url)


class OpenAIFaults:
    """mock-openai's faults and journal, for one test."""

    def __init__(self, url: str):
        from mocks import control

        self.url, self.control = url, control

    def set(self, profile: str | None = None, sequence: list[str] | None = None,
            paths: list[str] | None = None) -> dict:
        return self.control.set_openai_faults(self.url, profile=profile, sequence=sequence, paths=paths)

    def clear(self) -> None:
        self.control.clear_openai_faults(self.url)
        self.control.clear_openai_journal(self.url)

    def journal(self, path: str | None = None) -> list[dict]:
        return self.control.openai_journal(self.url, path)


@pytest.fixture
def openai_faults(staging):
    faults = OpenAIFaults(staging.url("mock-openai"))
    faults.clear()
    yield faults
    faults.clear()


class SinkEvents:
    """What the app reported to the error sink during one test."""

    def __init__(self, url: str):
        from mocks import control

        self.url, self.control = url, control

    def events(self, level: str | None = None) -> list[dict]:
        return self.control.sink_events(self.url, level=level)

    def wait(self, level: str | None = None, at_least: int = 1, timeout: float = 30) -> list[dict]:
        """The events so far once there are at_least of them (SDKs send from a background thread,
        so an event lands a moment after the request that caused it); all of them at timeout."""
        import time

        deadline = time.monotonic() + timeout
        while len(found := self.events(level)) < at_least and time.monotonic() < deadline:
            time.sleep(0.1)
        return found

    def spans(self, **filters) -> list[dict]:
        return self.control.sink_spans(self.url, **filters)

    def clear(self) -> None:
        self.control.clear_sink_events(self.url)


@pytest.fixture
def sink_events(staging):
    sink = SinkEvents(staging.url("error-sink"))
    sink.clear()
    yield sink
    sink.clear()  # what this test provoked is not left for the next one to read
