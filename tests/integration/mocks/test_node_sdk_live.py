"""The official OpenAI Node SDK's suite (tests/unit/mocks/node/sdk_suite.cjs) against the running mock:
chat, stream, tools, structured output with zod, Responses, embeddings, transcription, 401/404/429."""
import pytest

from tests.support.node_sdk import CHECKS, run_suite


@pytest.fixture(scope="module")
def results(_live_mock):
    return run_suite(_live_mock)


@pytest.mark.parametrize("check", CHECKS)
def test_node_sdk_against_the_running_mock(results, check):
    assert results.get(check) == "ok", results.get(check, "the suite did not run this check")
