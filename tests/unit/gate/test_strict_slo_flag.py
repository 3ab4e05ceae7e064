"""`staging.validate --strict-slo` reaches the gate, for the replica and for --base-url alike."""
import pytest
from invoke import Context
from invoke.exceptions import Exit

from replica.commands import validate as validate_module
from replica.commands import gate as gate_command
from replica.tasks import gate_tasks


class Red:
    passed = False
    results = "results/red"

    def verdict(self):
        return "NOT READY"


@pytest.mark.parametrize("flags, called", [({}, "validate"), ({"base_url": "http://127.0.0.1:9/"},
                                                               "validate_target")])
def test_strict_slo_is_passed_through_and_a_red_gate_exits_1(monkeypatch, flags, called):
    seen = {}
    for name in ("validate", "validate_target"):
        monkeypatch.setattr(validate_module, name,
                            lambda *a, _name=name, **k: seen.update({_name: k}) or Red())
    monkeypatch.setattr(gate_command, "_answer_from_cache", lambda *a: None)
    monkeypatch.setattr(gate_command.verdict_cache, "store", lambda *a: None)  # never the checkout's
    with pytest.raises(Exit) as stopped:
        gate_tasks.validate(Context(), strict_slo=True, **flags)
    assert stopped.value.code == 1 and seen[called]["strict_slo"] is True
