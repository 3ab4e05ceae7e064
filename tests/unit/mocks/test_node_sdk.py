"""The official OpenAI Node SDK (6.x) against the mock served in-process: `node/sdk_suite.cjs`, one test
per check (tests/support/node_sdk.py; the integration tier runs the same suite against the container)."""

import pytest

from mocks.openai_mock import Settings, create_app
from tests.support.node_sdk import CHECKS, run_suite
from tests.unit.mocks.conftest import serve


@pytest.fixture(scope="module")
def results():
    with serve(create_app(Settings())) as url:
        return run_suite(url)


@pytest.mark.parametrize("check", CHECKS)
def test_node_sdk(results, check):
    assert results.get(check) == "ok", results.get(check, "the suite did not run this check")
