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


def test_a_replica_profile_name_sets_what_up_would_start_the_mock_with(replica_mock):
    mock_tasks.faults(Context(), profile="openai-ratelimit")
    plan = control.openai_faults(replica_mock)
    assert plan["profile"] == "ratelimit"
    assert plan["paths"] == ["/v1/chat/completions", "/v1/responses"]  # the summary calls only


def test_an_explicit_path_narrows_a_replica_profile(replica_mock):
    mock_tasks.faults(Context(), profile="openai-down", path=["/v1/embeddings"])
    plan = control.openai_faults(replica_mock)
    assert plan["profile"] == "down" and plan["paths"] == ["/v1/embeddings"]


def test_a_profile_outside_the_openai_group_is_refused_by_the_mock(replica_mock):
    with pytest.raises(Exit) as caught:
        mock_tasks.faults(Context(), profile="redis-off")
    assert caught.value.code == 2
    assert control.openai_faults(replica_mock)["profile"] in ("", None)
