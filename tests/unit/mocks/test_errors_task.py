"""`invoke staging.errors`: the sink's error events, and with --spans / --traces / --trace what the app traced."""
import json

import pytest
import sentry_sdk
from invoke import Context
from invoke.exceptions import Exit

from mocks import control
from replica.commands import mocks as mocks_command
from replica.tasks import mock_tasks


@pytest.fixture
def replica_sink(sink_url, monkeypatch):
    monkeypatch.setattr(mocks_command, "_url", lambda settings, service: sink_url)
    sentry_sdk.init(dsn=f"http://public-key@{sink_url.removeprefix('http://')}/1", environment="staging",
                    default_integrations=False, traces_sample_rate=1.0)
    ids = {}
    for name in ("GET /meetings", "GET /health/ready"):
        with sentry_sdk.start_transaction(name=name, op="http.server") as transaction:
            with sentry_sdk.start_span(op="db.query", name=f"SELECT for {name}"):
                pass
            ids[name] = transaction.trace_id
        sentry_sdk.capture_message("meetings failed", level="error")
    sentry_sdk.flush(timeout=5)
    sentry_sdk.get_client().close()
    return ids


def test_spans_are_shown_under_their_parent(replica_sink, capsys, monkeypatch):
    monkeypatch.setattr(mocks_command.console.console, "width", 200)
    mock_tasks.errors(Context(), spans=True)
    out = capsys.readouterr().out
    assert "spans (2)" in out and "db.query" in out and "  SELECT for GET /meetings" in out
    assert "health" not in out


def test_traces_and_one_trace_as_json(replica_sink, capsys):
    mock_tasks.errors(Context(), traces=True, json_=True)
    [trace] = json.loads(capsys.readouterr().out)
    assert trace["trace_id"] == replica_sink["GET /meetings"] and trace["spans"] == 2
    mock_tasks.errors(Context(), trace=replica_sink["GET /health/ready"], include_health=True, json_=True)
    spans = json.loads(capsys.readouterr().out)
    assert [s["description"] for s in spans] == ["GET /health/ready", "SELECT for GET /health/ready"]
    mock_tasks.errors(Context(), op="db.query", limit=1, json_=True)
    assert [s["op"] for s in json.loads(capsys.readouterr().out)] == ["db.query"]


def test_errors_stay_the_default_view(replica_sink, capsys):
    mock_tasks.errors(Context(), json_=True)
    events = json.loads(capsys.readouterr().out)
    assert [e["message"] for e in events] == ["meetings failed", "meetings failed"]


@pytest.mark.parametrize("flags", [{"spans": True, "traces": True}, {"trace": "xyz"}, {"spans": True, "level": "error"},
                                   {"traces": True, "op": "db"}])
def test_contradicting_flags_are_configuration_errors(replica_sink, capsys, flags):
    before = control.sink_spans(mocks_command._url(None, "error-sink"), health=True)
    with pytest.raises(Exit) as caught:
        mock_tasks.errors(Context(), clear=True, **flags)
    assert caught.value.code == 2
    assert control.sink_spans(mocks_command._url(None, "error-sink"), health=True) == before  # --clear did not run
