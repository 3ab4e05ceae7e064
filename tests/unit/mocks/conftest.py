"""Fixtures: the two mocks served in-process on free loopback ports, plus SDK clients pointed at them."""

from __future__ import annotations

import pytest
from openai import OpenAI

from mocks import control
from mocks.openai_mock import Settings, create_app
from mocks.sentry_sink import create_app as create_sink
from tests.support.mock_openai import serve  # noqa: F401 - the tests here import it from this module

API_KEY = "sk-staging-local"


@pytest.fixture(scope="session")
def _openai_server():
    with serve(create_app(Settings())) as url:
        yield url


@pytest.fixture
def openai_url(_openai_server):
    """Base URL of a healthy mock-openai with an empty journal."""
    control.clear_openai_faults(_openai_server)
    control.clear_openai_journal(_openai_server)
    yield _openai_server
    control.clear_openai_faults(_openai_server)


@pytest.fixture
def client(openai_url):
    """The official SDK pointed at the mock, with fast default retries."""
    with OpenAI(base_url=f"{openai_url}/v1", api_key=API_KEY, timeout=10) as sdk:
        yield sdk


@pytest.fixture
def start_mock():
    """Start extra mock-openai servers with custom settings; each is stopped after the test."""
    stack = []

    def start(**overrides) -> str:
        manager = serve(create_app(Settings(**overrides)))
        stack.append(manager)
        return manager.__enter__()

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def _sink_server():
    with serve(create_sink(max_events=50, max_spans=500)) as url:
        yield url


@pytest.fixture
def sink_url(_sink_server):
    """Base URL of an empty Sentry sink."""
    control.clear_sink_events(_sink_server)
    return _sink_server

