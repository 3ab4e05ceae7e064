"""Integration fixtures: the app on a real, migrated PostgreSQL 18 (and Redis when asked).

make_db_app, migrated_url and register come from tests/support/app_fixtures.py; `ai` is
mocks/openai_mock in-process (tests/support/mock_openai.py)."""
import pytest

from tests.support.mock_openai import MockOpenAI


@pytest.fixture
def make_app(make_db_app):
    return make_db_app


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def _mock_openai():
    with MockOpenAI(api_key="sk-test") as mock:
        yield mock


@pytest.fixture
def ai(_mock_openai):
    """mock-openai accepting the key `sk-test`, with an empty journal and no faults."""
    _mock_openai.reset()
    yield _mock_openai
    _mock_openai.reset()
