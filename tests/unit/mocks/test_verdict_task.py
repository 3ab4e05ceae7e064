"""`invoke staging.openai.verdict`: the mock's resilience verdict on the running replica, red = exit 1."""
import json
from types import SimpleNamespace

import pytest
import requests
from invoke import Context
from invoke.exceptions import Exit

from mocks import control
from replica.commands import service
from replica.tasks import mock_tasks

ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Summarise the budget."}]}


@pytest.fixture
def replica(openai_url, sink_url, monkeypatch):
    urls = {"mock-openai": openai_url, "error-sink": sink_url}
    stack = SimpleNamespace(services=list(urls), url=urls.__getitem__)
    monkeypatch.setattr(service, "running_stack", lambda settings: stack)
    return openai_url


def hammer(url: str, times: int) -> None:
    """Ask `times` times at once after each 503: a client with no backoff."""
    control.set_openai_faults(url, cycle=["503"])
    for retry in range(times):
        requests.post(f"{url}/v1/chat/completions", json=ASK, timeout=10,
                      headers={"Authorization": "Bearer sk-staging-local", "x-stainless-retry-count": str(retry)})


def test_a_red_verdict_prints_the_failed_lines_and_exits_1(replica, capsys):
    hammer(replica, 4)
    with pytest.raises(Exit) as caught:
        mock_tasks.verdict(Context(), budget=2)
    out = capsys.readouterr().out
    assert caught.value.code == 1
    assert "backed off between retries" in out and "stopped at a retry budget" in out and "failed" in out


def test_json_prints_the_report(replica, capsys):
    hammer(replica, 1)
    mock_tasks.verdict(Context(), json_=True)
    report = json.loads(capsys.readouterr().out)
    assert report["calls"] == 1 and {line["check"] for line in report["lines"]} >= {"retry_after", "budget"}
