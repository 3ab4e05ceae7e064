"""mock-openai as the stack runs it (a container of the replica's mocks image), for clients this
project did not write: the openai SDKs, LiteLLM, langchain-openai."""
import pytest

from mocks import control
from tests.support import containers

KEY = "sk-staging-local"  # the key the stack's mock accepts by default


@pytest.fixture(scope="session")
def _live_mock(stale_containers_reaped):
    with containers.MockOpenAIContainer() as mock:
        yield mock.url


@pytest.fixture
def mock_url(_live_mock):
    """Base URL of the running mock, healthy, with an empty journal."""
    control.clear_openai_faults(_live_mock)
    control.clear_openai_journal(_live_mock)
    yield _live_mock
    control.clear_openai_faults(_live_mock)


@pytest.fixture(scope="module")
def ratelimited_url(stale_containers_reaped):
    """Base URL of a mock started under the `ratelimit` profile, as `openai-ratelimit` starts it."""
    with containers.MockOpenAIContainer(profile="ratelimit") as mock:
        yield mock.url
