"""staging.validate's own steps: a stack that will not come up, and an unwritable results folder."""
import json

import pytest

from replica.commands import up as up_module
from replica.errors import StackUnhealthyError
from replica.gate import validate as validate_module
from replica.gate.errors import ResultsNotWritableError
from replica.settings import from_environment


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STAGING_RESULTS_DIR", str(tmp_path / "results"))
    return from_environment({"STAGING_NAME": "gate-unit"})


def test_a_stack_that_fails_to_come_up_fails_the_gate_with_its_words(settings, monkeypatch, tmp_path):
    def broken_up(_settings, **_options):
        raise StackUnhealthyError("app is unhealthy: /health/ready 503", hint="read its logs")
    monkeypatch.setattr(up_module, "up", broken_up)
    checklist = validate_module.validate(settings)
    assert not checklist.passed
    stack = checklist.item("stack")
    assert stack.result == "failed" and "app is unhealthy" in stack.evidence and "read its logs" in stack.evidence
    report = json.loads(next((tmp_path / "results").glob("validate-*/report.json")).read_text())
    assert report["passed"] is False and report["verdict"].startswith("NOT READY")
    starts = next(i for i in report["items"] if i["key"] == "starts")
    assert starts["evidence"] == "not run (an earlier step failed)"


def test_an_unwritable_results_folder_stops_before_anything_runs(settings, monkeypatch, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("STAGING_RESULTS_DIR", str(blocker / "results"))
    monkeypatch.setattr(up_module, "up", lambda _s, **_options: pytest.fail("up must not run"))
    with pytest.raises(ResultsNotWritableError, match="not writable"):
        validate_module.validate(settings)
