"""`invoke staging.openai.faults --path`: faults aimed at one endpoint of the running mock."""
import pytest
from invoke import Context
from invoke.exceptions import Exit

from mocks import control
from replica.commands import mocks as mocks_command
from replica.tasks import mock_tasks


@pytest.fixture
def replica_mock(openai_url, monkeypatch):
    monkeypatch.setattr(mocks_command, "_url", lambda settings, service: openai_url)
    return openai_url


def test_path_sends_the_faults_to_that_endpoint_only(replica_mock, capsys):
    mock_tasks.faults(Context(), profile="ratelimit", path=["/v1/chat/completions"])
    plan = control.openai_faults(replica_mock)
    assert plan["profile"] == "ratelimit" and plan["paths"] == ["/v1/chat/completions"]
    assert '"/v1/chat/completions"' in capsys.readouterr().out


def test_a_path_without_a_fault_is_a_configuration_error(replica_mock, capsys):
    with pytest.raises(Exit) as caught:
        mock_tasks.faults(Context(), path=["/v1/chat/completions"])
    assert caught.value.code == 2
    printed = capsys.readouterr()
    assert "--path" in printed.err + printed.out
    assert control.openai_faults(replica_mock)["paths"] == []
